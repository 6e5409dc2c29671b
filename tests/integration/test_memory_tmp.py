"""The tests' temporary root in memory goes without multiprocessing's complaint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A process that makes multiprocessing's temporary directory under the root, as a session
# that starts a fork server does, and then has the root removed as the conftest does.
_SESSION = """
import multiprocessing.util, sys, tempfile
from pathlib import Path
from tests.support.memory_tmp import remove_at_exit
tempfile.tempdir = sys.argv[1]
print(multiprocessing.util.get_temp_dir())
remove_at_exit(Path(sys.argv[1]))
"""


def test_the_root_goes_after_multiprocessings_own_directory_in_it(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", _SESSION, str(root)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).parent == root
    assert run.stderr == ""
    assert not root.exists()
