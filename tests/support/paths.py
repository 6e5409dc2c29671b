"""Where things are, for tests in any folder."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
SNAPSHOTS = TESTS / "snapshots"
ARTIFACTS = TESTS / "artifacts"
DEPLOY_DIR = REPO / "deploy"
