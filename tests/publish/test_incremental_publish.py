"""Incremental releases: a copy of the newest release brought up to date holds exactly what a full copy holds.

Each test builds a small build database by hand (a fact with `source_file_id`, a dimension, an audit table),
publishes it in full, changes the build database the way refreshes do (a new file, a withdrawn file, a file whose
rows changed in place, a changed dimension, a new table, a dropped table, a changed column type, rows without a
file) and publishes again: the new release must be incremental where it can be, and equal to the build database
table by table, row by row, in every case.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import release


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data" / "build").mkdir(parents=True)
    return tmp_path / "data"


def build_db(data_dir: Path) -> Path:
    return data_dir / "build" / "warehouse.duckdb"


def sql(data_dir: Path, *statements: str) -> None:
    con = duckdb.connect(str(build_db(data_dir)))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def seed(data_dir: Path, files: int = 6, rows_per_file: int = 50) -> None:
    sql(data_dir,
        "create schema marts", "create schema ref", "create schema audit", "create schema staging",
        f"""create table marts.fct as select 'f' || (i // {rows_per_file}) as source_file_id, i as row_number,
            (i * 7) % 13 as officers, 'unit ' || i as unit_name, date '2026-01-01' + (i % 30)::integer as period_start
            from range({files * rows_per_file}) r(i)""",
        "create table ref.dim as select i as code, 'tỉnh ' || i as name from range(34) r(i)",
        f"create table audit.files as select 'f' || i as source_file_id, i as rows from range({files}) r(i)",
        "create table staging.not_published as select 1 as x")


def content(path: Path) -> dict[str, list[tuple]]:
    """Every published table's layout and rows (sorted), keyed by schema.table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where list_contains(?, schema_name) "
                             "order by 1, 2", [list(release.PUBLISHED_SCHEMAS)]).fetchall()
        out = {}
        for schema, table in tables:
            name = f'"{schema}"."{table}"'
            layout = con.execute(f"describe {name}").fetchall()
            out[f"{schema}.{table}"] = [tuple(layout), *sorted(con.execute(f"select * from {name}").fetchall(),
                                                               key=repr)]
        return out
    finally:
        con.close()


def release_meta(path: Path) -> tuple:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select built_as, base_release_id, generation from meta.release").fetchall()[0]
    finally:
        con.close()


def publish_and_check(data_dir: Path, expect: str) -> release.Release:
    rel = release.publish()
    assert rel.built_as == expect, rel
    assert content(rel.path) == content(build_db(data_dir))
    assert content(data_dir / "warehouse.duckdb") == content(build_db(data_dir))
    return rel


def test_new_withdrawn_and_changed_files_are_synced(data_dir) -> None:
    seed(data_dir)
    first = publish_and_check(data_dir, "full")
    assert release_meta(first.path) == ("full", None, 0)
    sql(data_dir,
        "insert into marts.fct select 'f_new', 1000 + i, i, 'new unit', date '2026-11-01' from range(20) r(i)",
        "delete from marts.fct where source_file_id = 'f2'",
        "update marts.fct set officers = officers + 1 where source_file_id = 'f4' and row_number % 10 = 0",
        "insert into audit.files values ('f_new', 20)")
    second = publish_and_check(data_dir, "incremental")
    assert second.base_release_id == first.release_id
    assert set(second.changed) == {"marts.fct", "audit.files"}
    assert second.files_replaced == {"marts.fct": 3, "audit.files": 1}  # f_new, f2, f4; other rows kept
    assert second.tables["marts.fct"] == 300 - 50 + 20
    assert release_meta(second.path) == ("incremental", first.release_id, 1)
    # nothing changed: an incremental release that replaces nothing
    third = publish_and_check(data_dir, "incremental")
    assert third.changed == ()
    assert release_meta(third.path)[2] == 2


def test_changed_tables_layouts_and_rows_without_a_file(data_dir) -> None:
    seed(data_dir)
    publish_and_check(data_dir, "full")
    sql(data_dir,
        "update ref.dim set name = upper(name) where code = 3",
        "create table marts.new_mart as select 1 as a",
        "drop table audit.files",
        "alter table marts.fct alter officers type integer")
    rel = publish_and_check(data_dir, "incremental")
    assert set(rel.changed) == {"ref.dim", "marts.new_mart", "audit.files", "marts.fct"}
    sql(data_dir, "insert into marts.fct values (null, 9999, 1, 'no file', date '2026-11-01')")
    assert publish_and_check(data_dir, "incremental").files_replaced == {}  # rows without a file: whole table
    sql(data_dir, "update marts.fct set officers = 0 where source_file_id is null")
    assert publish_and_check(data_dir, "incremental").files_replaced == {}
    sql(data_dir, "insert into marts.fct values ('f_late', 9998, 1, 'late', date '2026-11-01')")
    assert publish_and_check(data_dir, "incremental").files_replaced == {"marts.fct": 1}  # NULL-file rows kept
    sql(data_dir, "delete from marts.fct where source_file_id is null")
    assert publish_and_check(data_dir, "incremental").files_replaced == {}  # ... and now they are gone
    sql(data_dir, "insert into marts.fct values ('f_later', 9997, 1, 'later', date '2026-11-01')")
    assert publish_and_check(data_dir, "incremental").files_replaced == {"marts.fct": 1}


@pytest.mark.parametrize("damage", ["old_format", "garbage", "generation"])
def test_an_unusable_base_falls_back_to_a_full_copy(data_dir, damage, monkeypatch) -> None:
    seed(data_dir)
    first = publish_and_check(data_dir, "full")
    if damage == "old_format":  # a release made before fingerprints existed
        con = duckdb.connect(str(first.path))
        con.execute("drop table meta.release_fingerprints")
        con.execute("create or replace table meta.release as select release_id, run_id, published_at from meta.release")
        con.close()
    elif damage == "garbage":
        first.path.write_bytes(b"not a database" * 1000)
    else:
        monkeypatch.setattr(release, "FULL_EVERY", 2)
        publish_and_check(data_dir, "incremental")
    sql(data_dir, "insert into marts.fct select 'f_new', 1000, 1, 'new', date '2026-11-01'")
    publish_and_check(data_dir, "full")
    assert not list(release.paths.releases_dir().glob(".warehouse-*"))


def test_a_sync_that_misses_rows_is_caught_and_redone_in_full(data_dir, monkeypatch) -> None:
    """If the sync itself went wrong (here: the delete is skipped, so a changed file's rows are doubled), the
    check against the build database's fingerprints catches it and the release is built in full instead."""
    seed(data_dir)
    publish_and_check(data_dir, "full")
    sql(data_dir, "update marts.fct set officers = 99 where source_file_id = 'f1'")
    real_execute = duckdb.DuckDBPyConnection.execute

    class SkipDeletes:
        def __init__(self, con):
            self._con = con

        def execute(self, statement, *args):
            if statement.startswith("delete from"):
                return self._con
            return real_execute(self._con, statement, *args)

        def __getattr__(self, name):
            return getattr(self._con, name)

    real_sync = release._sync_table
    monkeypatch.setattr(release, "_sync_table", lambda con, *a, **k: real_sync(SkipDeletes(con), *a, **k))
    publish_and_check(data_dir, "full")


def test_rollback_then_publish_starts_from_the_newest_release(data_dir) -> None:
    """After a rollback the published file is an older release; the next incremental release is still built from
    the newest one and still equals the build database."""
    seed(data_dir)
    publish_and_check(data_dir, "full")
    sql(data_dir, "delete from marts.fct where source_file_id = 'f0'")
    second = publish_and_check(data_dir, "incremental")
    release.rollback()
    sql(data_dir, "insert into marts.fct select 'f9', 5000, 1, 'x', date '2026-11-01'")
    third = publish_and_check(data_dir, "incremental")
    assert third.base_release_id == second.release_id
    shutil.rmtree(release.paths.releases_dir())
    publish_and_check(data_dir, "full")
