"""Every landed file is read whatever bytes its name is made of: names that are not UTF-8
(an older SFTP client's Latin-1), hold a line break, a percent sign, ``#`` or ``?``."""

import os

import dagster as dg
import duckdb
import pytest

from orders_platform.definitions import build_definitions
from resources.landing import LocalLandingZone
from tests.support.order_fixtures import (
    DAY,
    csv_bytes,
    land,
    order_rows,
    range_tags,
    settings_for,
)

# File names as bytes: Linux allows any byte but "/" and NUL in a name.
NAMES = [
    b"caf\xe9.csv",  # Latin-1
    b"\xff\xfe.csv",  # no encoding at all
    b"line\nbreak.csv",
    b"50%25off.csv",  # looks percent-encoded already
    b"a#b?c.csv",
]


def _land_named(landing, name: bytes, prefix: str) -> None:
    folder = land(landing, DAY, "first.csv", csv_bytes(order_rows(1, prefix="first-"))).parent
    with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
        handle.write(csv_bytes(order_rows(2, prefix=prefix)))


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_a_listed_file_is_read_under_its_own_name(tmp_path, name):
    # url2pathname decoded the URI's percent-encoded bytes as UTF-8 with replacement
    # characters: a name that is not UTF-8 was looked up as another file and refused as
    # "resolves outside the landing root", which failed raw_orders for the whole range.
    _land_named(tmp_path, name, "named-")
    zone = LocalLandingZone(root=str(tmp_path))
    files = {os.fsencode(info.name): info for info in zone.scan_day(DAY).files}
    assert set(files) == {b"first.csv", name}
    assert zone.read(files[name]) == csv_bytes(order_rows(2, prefix="named-"))
    with zone.stream(files[name]) as stream:
        assert stream.read() == zone.read(files[name])


def test_raw_orders_loads_a_file_whose_name_is_not_utf8(tmp_path, instance):
    _land_named(tmp_path / "landing", b"caf\xe9.csv", "latin-")
    settings = settings_for(tmp_path)
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    result = job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, tags=range_tags(DAY, DAY), raise_on_error=False
    )
    assert result.success
    with duckdb.connect(settings.duckdb_path, read_only=True) as conn:
        files = conn.execute(
            "select source_file, count(*) from raw.raw_orders group by 1 order by 1"
        ).fetchall()
    assert [(uri.rsplit("/", 1)[1], n) for uri, n in files] == [
        ("caf%E9.csv", 2),
        ("first.csv", 1),
    ]


def _checks(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_names_that_are_not_utf8_are_shown_with_their_bytes_escaped(tmp_path, instance):
    """A name that is not UTF-8 is shown with each undecodable byte as ``\\xNN`` (and a
    backslash of the name doubled, so the escape is unambiguous) wherever a user reads it:
    raw_orders' metadata, schema_drift's finding. They showed Python's surrogate escapes
    (``caf\\udce9.txt``), which no tool prints or finds the file by. The lineage column
    ``source_file`` stays the file's URI, its bytes percent-encoded."""
    landing = tmp_path / "landing"
    folder = land(landing, DAY, "first.csv", csv_bytes(order_rows(1, prefix="first-"))).parent
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), "wb") as handle:
        handle.write(b"not orders")  # unreadable extension: named, never read
    with open(os.path.join(os.fsencode(folder), b"\xffbad.parquet"), "wb") as handle:
        handle.write(b"not parquet")  # read, no column: named in a finding by its URI
    os.symlink(folder / "first.csv", os.path.join(os.fsencode(folder), b"a\\x\xff.csv"))
    job = build_definitions(settings_for(tmp_path)).resolve_implicit_global_asset_job_def()
    result = job.get_subset(asset_selection={dg.AssetKey("raw_orders")}).execute_in_process(
        instance=instance, partition_key=DAY.isoformat(), raise_on_error=False
    )
    metadata = {
        k: v.value
        for k, v in result.asset_materializations_for_node("raw_orders")[0].metadata.items()
    }
    assert metadata["orders/unreadable"] == "caf\\xe9.txt"
    assert metadata["orders/refused"].startswith("a\\\\x\\xff.csv (is a symbolic link")
    drift = _checks(result)["schema_drift"]
    assert drift.metadata["unreadable_files"].value == "caf\\xe9.txt"
    (diff,) = [v.value for v in drift.metadata.values() if isinstance(v, dg.TableMetadataValue)]
    shown = [str(value) for record in diff.records for value in record.data.values()]
    assert any("\\xffbad.parquet (" in value for value in shown), shown
    assert not any("\udc80" <= ch <= "\udcff" for value in shown for ch in value)
