"""Landing files stay inside the landing zone: links and outside paths are refused, visibly."""

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import ALL_ASSETS_JOB, build_definitions
from resources.landing import (
    GONE,
    MISNAMED_DAY,
    OUTSIDE_ROOT,
    SYMLINK_INSIDE,
    LandingFileInfo,
    LandingReadError,
    LandingRefusedError,
    LocalLandingZone,
    RefusedFile,
)
from tests.support.order_fixtures import DAY, csv_bytes, land, order_rows, settings_for

CANARY = "leak.canary@example.invalid"
PREVIOUS = DAY - dt.timedelta(days=1)


def _secret(folder: Path, name: str = "secret.csv") -> Path:
    """A valid orders file outside the landing root, carrying a canary e-mail."""
    rows = [{**row, "customer_email": CANARY} for row in order_rows(5, prefix="LEAK")]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(csv_bytes(rows))
    return path


def _day_dir(landing: Path, day: dt.date) -> Path:
    return landing / "orders" / f"date={day.isoformat()}"


@pytest.fixture
def zone(tmp_path):
    landing = tmp_path / "landing"
    land(landing, DAY, "a.csv", csv_bytes(order_rows(4)))
    return landing, tmp_path / "outside", LocalLandingZone(root=str(landing))


def test_file_symlink_outside_the_root_is_refused(zone):
    landing, outside, local = zone
    (_day_dir(landing, DAY) / "evil.csv").symlink_to(_secret(outside))
    listing = local.scan_day(DAY)
    assert [f.name for f in listing.files] == ["a.csv"]
    assert [(r.name, r.reason) for r in listing.refused] == [("evil.csv", OUTSIDE_ROOT)]
    assert str(outside) not in repr(listing)


def test_symlinks_inside_the_root_are_refused_too(zone):
    landing, _, local = zone
    other = land(landing, PREVIOUS, "b.csv", csv_bytes(order_rows(2, PREVIOUS)))
    (_day_dir(landing, DAY) / "link.csv").symlink_to(other)
    listing = local.scan_day(DAY)
    assert [f.name for f in listing.files] == ["a.csv"]
    assert [(r.name, r.reason) for r in listing.refused] == [("link.csv", SYMLINK_INSIDE)]


def test_folder_symlink_in_a_day_is_refused(zone):
    landing, outside, local = zone
    _secret(outside)
    (_day_dir(landing, DAY) / "more").symlink_to(outside, target_is_directory=True)
    listing = local.scan_day(DAY)
    assert [f.name for f in listing.files] == ["a.csv"]
    assert [(r.name, r.reason) for r in listing.refused] == [("more", OUTSIDE_ROOT)]


@pytest.mark.parametrize("spelling", ["%Y%m%d", "%G-W%V-%u", "%GW%V%u"])
def test_a_day_folder_spelled_otherwise_is_listed_once_and_refused(zone, spelling):
    # date.fromisoformat also reads 20250102 and 2025-W01-4: such a folder was listed as
    # the day, which then loaded empty from date=YYYY-MM-DD, its files never read (and
    # the day listed twice next to a date=YYYY-MM-DD folder). Now its day is listed once
    # and the folder is a refused entry of that day, which schema_drift fails.
    landing, _, local = zone
    misnamed = f"date={PREVIOUS.strftime(spelling)}"
    (landing / "orders" / misnamed).mkdir()
    land(landing, PREVIOUS, "b.csv", csv_bytes(order_rows(2)))  # date=YYYY-MM-DD: read
    before = PREVIOUS - dt.timedelta(days=1)
    alone = f"date={before.strftime(spelling)}"  # the only folder of its day
    (landing / "orders" / alone).mkdir()
    (landing / "orders" / alone / "c.csv").write_bytes(csv_bytes(order_rows(2)))
    assert local.list_days() == [before, PREVIOUS, DAY]
    assert local.misnamed_day_folders([before, PREVIOUS, DAY]) == {
        before: [RefusedFile(f"orders/{alone}/", MISNAMED_DAY)],
        PREVIOUS: [RefusedFile(f"orders/{misnamed}/", MISNAMED_DAY)],
    }
    assert [info.name for info in local.scan_day(PREVIOUS).files] == ["b.csv"]
    assert local.scan_day(before).files == []


def _held_day_run(tmp_path, instance) -> tuple:
    """Run the whole job on DAY; it must fail (the blocking drift check holds the day).
    The result and raw_orders' metadata."""
    job = build_definitions(settings_for(tmp_path)).resolve_job_def(ALL_ASSETS_JOB)
    result = job.execute_in_process(
        instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
    )
    assert not result.success
    [materialization] = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("raw_orders")
    ]
    return result, materialization.metadata


def test_raw_orders_reports_a_misnamed_day_folder_and_drift_holds_the_day(tmp_path, instance):
    landing = tmp_path / "landing"
    land(landing, DAY, "a.csv", csv_bytes(order_rows(3)))
    misnamed = landing / "orders" / f"date={DAY.strftime('%Y%m%d')}"
    misnamed.mkdir()
    (misnamed / "late.csv").write_bytes(csv_bytes(order_rows(2, prefix="late-")))
    result, metadata = _held_day_run(tmp_path, instance)
    assert metadata["orders/refused_files"].value == 1
    assert MISNAMED_DAY in metadata["orders/refused"].value
    assert metadata["dagster/row_count"].value == 3
    [drift] = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema_drift"]
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.ERROR


def test_symlinked_day_folder_is_refused_and_not_listed(zone):
    landing, outside, local = zone
    _secret(outside)
    _day_dir(landing, PREVIOUS).symlink_to(outside, target_is_directory=True)
    assert local.list_days() == [DAY]
    listing = local.scan_day(PREVIOUS)
    assert listing.files == []
    assert [(r.name, r.reason) for r in listing.refused] == [
        (f"orders/date={PREVIOUS.isoformat()}/", OUTSIDE_ROOT)
    ]


def test_symlinked_orders_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    land(outside, DAY, "a.csv", csv_bytes(order_rows(2)))
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "orders").symlink_to(outside / "orders", target_is_directory=True)
    local = LocalLandingZone(root=str(landing))
    assert local.list_days() == []
    listing = local.scan_day(DAY)
    assert listing.files == []
    assert [(r.name, r.reason) for r in listing.refused] == [("orders/", OUTSIDE_ROOT)]


def test_read_refuses_paths_outside_the_root_and_swapped_links(zone):
    landing, outside, local = zone
    secret = _secret(outside)
    dotdot = _day_dir(landing, DAY) / ".." / ".." / ".." / "outside" / "secret.csv"
    for uri in (secret.as_uri(), "file://" + str(dotdot)):
        with pytest.raises(LandingRefusedError) as refused:
            local.read(LandingFileInfo(uri=uri, name="x.csv", size=1, version="1"))
        assert CANARY not in str(refused.value) and str(outside) not in str(refused.value)
    [info] = local.list_day(DAY)
    path = _day_dir(landing, DAY) / "a.csv"
    path.unlink()
    path.symlink_to(secret)  # swapped for a link between listing and reading
    with pytest.raises(LandingRefusedError):
        local.read(info)


def test_a_file_gone_since_the_listing_is_named_so_without_its_path_or_e_mail(zone):
    # The step's error is stored in the event log, alerted on and traced: an OSError
    # quoted the file's whole path, e-mail and all, and a vanished file was said to
    # resolve outside the landing root.
    landing, _, local = zone
    land(landing, DAY, f"from {CANARY}.csv", csv_bytes(order_rows(2)))
    [_, info] = local.list_day(DAY)
    _day_dir(landing, DAY).joinpath(f"from {CANARY}.csv").unlink()
    with pytest.raises(LandingReadError) as gone:
        local.read(info)
    assert str(gone.value) == f"from <email>: {GONE}"
    assert gone.value.__cause__ is None and gone.value.__suppress_context__


def test_a_file_that_cannot_be_opened_is_named_without_its_path_or_e_mail(zone, monkeypatch):
    landing, _, local = zone
    land(landing, DAY, f"{CANARY}.csv", csv_bytes(order_rows(2)))
    [_, info] = local.list_day(DAY)

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("resources.landing.os.open", denied)
    with pytest.raises(LandingReadError) as refused:
        local.read(info)
    assert str(refused.value) == "<email>: Permission denied"
    assert str(landing) not in str(refused.value)


def test_refused_files_never_reach_the_table_logs_or_metadata(tmp_path, instance):
    landing = tmp_path / "landing"
    outside = tmp_path / "outside"
    land(landing, DAY, "a.csv", csv_bytes(order_rows(4)))
    day = _day_dir(landing, DAY)
    (day / "evil.csv").symlink_to(_secret(outside))
    (day / "more").symlink_to(outside, target_is_directory=True)
    settings = settings_for(tmp_path)
    result, metadata = _held_day_run(tmp_path, instance)
    assert metadata["orders/refused_files"].value == 2
    assert "evil.csv" in metadata["orders/refused"].value
    assert OUTSIDE_ROOT in metadata["orders/refused"].value
    assert metadata["orders/files"].value == 1

    [drift] = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema_drift"]
    assert not drift.passed and drift.severity == dg.AssetCheckSeverity.ERROR
    assert drift.metadata["drift/refused"].value == 1

    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        rows = conn.execute(
            "select source_file, customer_email, order_id from raw.raw_orders"
        ).fetchall()
    assert len(rows) == 4 and all(r[0].endswith("/a.csv") for r in rows)
    assert not any(CANARY in str(r) or "LEAK" in str(r) for r in rows)

    logs = "\n".join(str(record) for record in instance.all_logs(result.run_id))
    assert "refused 2 landing entries" in logs
    for secret in (CANARY, "LEAK2025", str(outside), "secret.csv"):
        assert secret not in logs
