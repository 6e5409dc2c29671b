"""Rendered statements are kept on disk, so a process does not parse what another one
already rendered; the cache never changes what a statement renders to."""

import pytest

from orders_core.sql import dialect
from orders_core.sql.dialect import DIALECTS, DUCKDB, RENDER_CACHE_VARIABLE, SNOWFLAKE, render
from tests.support.sql_statements import all_statements

STATEMENT = "SELECT ORDERS_TRIM(order_id) AS order_id FROM raw.raw_orders WHERE amount > ?"


@pytest.fixture
def fresh_process(monkeypatch):
    """What a new process sees: no statement rendered in memory yet."""
    render.cache_clear()
    yield
    render.cache_clear()


def test_a_statement_rendered_once_is_read_back_by_the_next_process(
    tmp_path, monkeypatch, fresh_process
):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(tmp_path))
    first = {d: render(STATEMENT, d) for d in (DUCKDB, SNOWFLAKE)}
    assert len(list(tmp_path.glob("*.sql"))) == 2  # one per dialect
    assert not list(tmp_path.glob("*.tmp"))

    render.cache_clear()

    def no_parsing(sql, target):
        raise AssertionError("rendered again instead of read from the cache")

    monkeypatch.setattr(dialect, "_render", no_parsing)
    assert {d: render(STATEMENT, d) for d in (DUCKDB, SNOWFLAKE)} == first
    assert "\r" in first[DUCKDB]  # in the whitespace literal of ORDERS_TRIM, kept as is


def test_the_cache_gives_what_rendering_gives(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, "")
    uncached = {d: render(STATEMENT, d) for d in (DUCKDB, SNOWFLAKE)}
    render.cache_clear()
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(tmp_path))
    assert {d: render(STATEMENT, d) for d in (DUCKDB, SNOWFLAKE)} == uncached  # written
    render.cache_clear()
    assert {d: render(STATEMENT, d) for d in (DUCKDB, SNOWFLAKE)} == uncached  # read


def test_a_new_version_of_the_dialect_layer_renders_afresh(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(tmp_path))
    render(STATEMENT)
    render.cache_clear()
    monkeypatch.setattr(dialect, "_code_version", lambda: "another version")
    calls = []
    real = dialect._render
    monkeypatch.setattr(dialect, "_render", lambda sql, d: calls.append(d) or real(sql, d))
    render(STATEMENT)
    assert calls == [DUCKDB]
    assert len(list(tmp_path.glob("*.sql"))) == 2


def test_an_empty_setting_turns_the_disk_cache_off(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dialect.render_cache_dir() is None
    render(STATEMENT)
    assert not list(tmp_path.rglob("*.sql"))


def test_the_default_is_the_users_cache_folder(tmp_path, monkeypatch):
    monkeypatch.delenv(RENDER_CACHE_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert dialect.render_cache_dir() == tmp_path / "orders-platform" / "sql"


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path, monkeypatch, fresh_process):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(blocked))
    assert "SUBSTRING(order_id" in render(STATEMENT)
    assert blocked.read_text() == "a file where the cache folder would be"


def test_an_unknown_dialect_is_refused_before_the_cache(tmp_path, monkeypatch, fresh_process):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(tmp_path))
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        render(STATEMENT, "oracle")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("target", DIALECTS)
def test_every_statement_of_the_platform_reads_back_as_rendered(
    tmp_path, monkeypatch, fresh_process, target
):
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, "")
    rendered = all_statements(target)
    render.cache_clear()
    monkeypatch.setenv(RENDER_CACHE_VARIABLE, str(tmp_path))
    assert all_statements(target) == rendered  # rendered and written
    render.cache_clear()
    monkeypatch.setattr(dialect, "_render", None)  # read only: rendering would fail
    assert all_statements(target) == rendered


def test_a_user_without_a_home_renders_without_the_disk_cache(monkeypatch, fresh_process):
    monkeypatch.delenv(RENDER_CACHE_VARIABLE, raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(dialect.Path, "home", staticmethod(no_home))
    assert dialect.render_cache_dir() is None
    assert "SUBSTRING(order_id" in render(STATEMENT)


def test_the_key_is_of_the_dialect_layer_as_imported(tmp_path, monkeypatch, fresh_process):
    """A process keys its renderings by the templates it holds: a source edited after the
    import (a test run while the templates change) is not the code that rendered, and
    keying by it served those renderings to the processes that hold the new templates."""
    before = dialect._code_version()
    edited = tmp_path / "dialect.py"
    edited.write_bytes(b"# the templates, edited after the import\n")
    monkeypatch.setattr(dialect, "__file__", str(edited))
    dialect._code_version.cache_clear()
    try:
        assert dialect._code_version() == before
    finally:
        dialect._code_version.cache_clear()
