"""Atomic publishing of the analysts' warehouse file, release history and rollback (no Dagster import).

A release is built as a fresh DuckDB file next to the published one (copying the analyst-facing schemas out
of the build database), closed, fsynced, then renamed over `data/warehouse.duckdb`. Readers that already have
the old file open keep reading its inode; new readers get the new file; nobody sees a half-written file, and
the writer never waits for readers because it never opens the published file itself.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from pipelines import paths

PUBLISHED_SCHEMAS = ("ref", "marts", "audit")
KEEP_RELEASES = 5


@dataclass(frozen=True)
class Release:
    """One published version: its file under releases/ and what it holds."""

    path: Path
    release_id: str
    tables: dict[str, int]
    bytes: int


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _tables(con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? "
        "and list_contains(?, schema_name) order by 1, 2",
        [catalog, list(schemas)],
    ).fetchall()


def build_release_file(build_db: Path, target: Path, release_id: str, run_id: str | None = None) -> dict[str, int]:
    """Copy the published schemas of the build database into a new file at `target`; returns table row counts."""
    if target.exists():
        target.unlink()
    con = duckdb.connect(str(target), config={"memory_limit": paths.duckdb_memory_limit()})
    counts: dict[str, int] = {}
    try:
        con.execute("attach ? as build (read_only)", [str(build_db)])
        catalog = con.execute("select current_database()").fetchall()[0][0]
        for schema, table in _tables(con, "build", PUBLISHED_SCHEMAS):
            con.execute(f'create schema if not exists "{schema}"')
            # Identifiers come from DuckDB's own catalog, quoted; no input value reaches this SQL.
            con.execute(f'create table "{catalog}"."{schema}"."{table}" as select * from build."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
        con.execute("detach build")
        con.execute("create schema if not exists meta")
        con.execute("create table meta.release as select ? as release_id, ? as run_id, now() as published_at",
                    [release_id, run_id])
        con.execute("checkpoint")
    finally:
        con.close()
    with open(target, "rb") as fh:
        os.fsync(fh.fileno())
    return counts


def _install_tmp(published: Path, pid: int) -> Path:
    return published.with_name(f".{published.name}.{pid}.tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(published: Path | None = None) -> list[Path]:
    """Remove what a killed publish left behind: half-built releases (with their WAL) and install temp links.

    Runs before and after every publish; the queue lets one refresh publish at a time, and a temp link is only
    removed when the process that made it (its pid is in the name) is gone.
    """
    published = published or paths.published_db()
    removed = []
    for partial in paths.releases_dir().glob(".warehouse-*.partial*"):
        if partial.is_dir() and not partial.is_symlink():  # DuckDB's spill folder (<file>.tmp) of a killed build
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
        removed.append(partial)
    for tmp in published.parent.glob(f".{published.name}.*.tmp"):
        pid = tmp.name[len(published.name) + 2:-len(".tmp")]
        if pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid))):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _atomic_install(source: Path, published: Path) -> None:
    """Hard-link (or copy) `source` to a temp name beside `published`, then rename it over `published`."""
    tmp = _install_tmp(published, os.getpid())
    if tmp.exists():
        tmp.unlink()
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copy2(source, tmp)
    os.replace(tmp, published)
    _fsync_dir(published.parent)


def publish(build_db: Path | None = None, run_id: str | None = None) -> Release:
    """Build a release from the build database and atomically make it the published warehouse."""
    build_db = build_db or paths.build_db()
    releases = paths.releases_dir()
    releases.mkdir(parents=True, exist_ok=True)
    clean_leftovers()
    release_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    staging = releases / f".warehouse-{release_id}.duckdb.partial"
    try:
        counts = build_release_file(build_db, staging, release_id, run_id)
    except BaseException:
        # e.g. the disk filled up: nothing half-written stays behind, the published file was never touched
        for leftover in releases.glob(f"{staging.name}*"):
            leftover.unlink(missing_ok=True)
        raise
    final = releases / f"warehouse-{release_id}.duckdb"
    os.replace(staging, final)  # the release is complete on disk before anyone can see it
    _atomic_install(final, paths.published_db())
    prune_releases(KEEP_RELEASES)
    return Release(final, release_id, counts, final.stat().st_size)


def list_releases() -> list[Path]:
    """Complete releases, newest first."""
    return sorted(paths.releases_dir().glob("warehouse-*.duckdb"), reverse=True)


def prune_releases(keep: int) -> None:
    for old in list_releases()[keep:]:
        old.unlink(missing_ok=True)
    clean_leftovers()


def current_release_id(published: Path | None = None) -> str | None:
    """The release id recorded inside the published file (None when nothing is published)."""
    published = published or paths.published_db()
    if not published.exists():
        return None
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute("select release_id from meta.release").fetchall()[0][0]
    finally:
        con.close()


def rollback(release_id: str | None = None) -> Path:
    """Make an earlier release the published warehouse again (default: the one before the current one)."""
    releases = list_releases()
    if release_id:
        matches = [p for p in releases if p.stem == f"warehouse-{release_id}"]
        if not matches:
            raise ValueError(f"no release {release_id!r}; available: {[p.stem[10:] for p in releases]}")
        target = matches[0]
    else:
        current = current_release_id()
        older = [p for p in releases if current is None or p.stem[10:] < current]
        if not older:
            raise ValueError("no earlier release to roll back to")
        target = older[0]
    _atomic_install(target, paths.published_db())
    return target
