"""Rebuild the raw tables of a lost build database from the immutable archive (no Dagster import).

The archive keeps every input file ever ingested, content-addressed (archive/<kind>/<aa>/<sha256><suffix>).
Beside each archived file, a provenance record (`<archived name>.json`, written once, read-only) keeps what the
content alone does not: the name and landing path it arrived under, its modification time (the submission's
`received_at`, which decides on-time/late and which resubmission wins) and the batch that loaded it.
The records are written from the audit table after every ingest, so a record that a crash kept from being
written is written by the next run.

When the build database is lost (deleted, or set aside as corrupt by `warehouse.connect`), the ingest steps
find archived files the database does not know and ingest them again, batch by batch in their original order,
from a scratch landing folder that restores each file's name and modification time: the same rows are loaded,
quarantined and superseded as the first time, so the marts dbt builds on top are the same. Only the load
metadata (`ingested_at`, `ingest_batch_id`) is new, as it would be after a first run in an empty data folder.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import duckdb

RECORD_SUFFIX = ".json"
SCRATCH_PREFIX = ".replay-"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class ArchiveSource:
    """One kind of archived input: its archive folder, its audit table and how a landing folder is ingested."""

    kind: str
    audit_table: str
    ensure_tables: Callable[[duckdb.DuckDBPyConnection], None]
    ingest: Callable[[duckdb.DuckDBPyConnection, Path, Path], Any]


@dataclass
class ReplayResult:
    files: int = 0
    batches: int = 0
    missing_content: list[str] | None = None  # file ids whose record exists but whose archived copy does not


def submissions_source() -> ArchiveSource:
    from pipelines.submissions import ingest

    return ArchiveSource("submissions", "audit.submission_files", ingest.ensure_tables, ingest.ingest)


def news_source() -> ArchiveSource:
    from pipelines.news import ingest

    return ArchiveSource("news", "audit.news_files", ingest.ensure_tables, ingest.ingest_news)


def record_path(archived: Path) -> Path:
    return archived.with_name(archived.name + RECORD_SUFFIX)


def _iso(value: Any) -> str | None:
    return value.astimezone(timezone.utc).isoformat() if isinstance(value, datetime) else None


def record_ingested(con: duckdb.DuckDBPyConnection, source: ArchiveSource, landing_root: Path,
                    archive_root: Path) -> int:
    """Write the provenance record of every archived file in the audit table that has none yet; returns how many."""
    # One directory scan instead of a stat per file, and only the audit rows of files without a record are read
    # in full (a 10-year archive holds 7,000 files; this ran in 1.1 s when every row was read and checked).
    have = {os.path.basename(path) for path in _record_paths(archive_root, source.kind)}
    missing = [file_id for file_id, archive_path in con.execute(
        f"select file_id, archive_path from {source.audit_table} where archive_path is not null and archive_path <> ''"
    ).fetchall() if os.path.basename(archive_path) + RECORD_SUFFIX not in have]
    if not missing:
        return 0
    cur = con.execute(f"select * from {source.audit_table} where list_contains(?, file_id)", [missing])
    names = [d[0] for d in cur.description]
    written = 0
    for values in cur.fetchall():
        row = dict(zip(names, values))
        # Where the file is in *this* archive (the data folder may have been moved or copied since).
        archived = archive_root / source.kind / row["file_id"][:2] / Path(row["archive_path"]).name
        target = record_path(archived)
        if target.exists() or not archived.exists():
            continue
        landing_path = Path(row["landing_path"]) if row.get("landing_path") else None
        try:
            relative = landing_path.relative_to(landing_root).as_posix() if landing_path else row["file_name"]
        except ValueError:
            relative = row["file_name"]
        record = {
            "kind": source.kind,
            "file_id": row["file_id"],
            "file_name": row["file_name"],
            "landing_path": row.get("landing_path"),
            "landing_relative_path": relative,
            "received_at": _iso(row.get("received_at")),
            "ingested_at": _iso(row.get("ingested_at")),
            "ingest_batch_id": row.get("ingest_batch_id"),
        }
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(record, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, target)
        written += 1
    return written


def _record_paths(archive_root: Path, kind: str) -> list[str]:
    """Every provenance record file under archive/<kind>/<2 hex>/, sorted (temp files of a killed write excluded)."""
    base = archive_root / kind
    if not base.is_dir():
        return []
    out = []
    for sub in os.scandir(base):
        if sub.is_dir():
            out += [e.path for e in os.scandir(sub.path)
                    if e.name.endswith(RECORD_SUFFIX) and not e.name.startswith(".")]
    return sorted(out)


def archive_records(archive_root: Path, kind: str, skip_ids: frozenset[str] | set[str] = frozenset()
                    ) -> list[tuple[Path, dict]]:
    """(archived file, record) for every provenance record under archive/<kind>/, except the records of files
    whose name says they are one of ``skip_ids`` (archived files are named <file_id>.<ext>): a run does not read
    the records of the thousands of files the database already knows."""
    out = []
    for name in _record_paths(archive_root, kind):
        if os.path.basename(name).split(".", 1)[0] in skip_ids:
            continue
        path = Path(name)
        out.append((path.with_name(path.name[: -len(RECORD_SUFFIX)]), json.loads(path.read_text(encoding="utf-8"))))
    return out


def _mtime_ns(received_at: str) -> int:
    """Exact nanoseconds since the epoch of an ISO timestamp (microsecond precision, as DuckDB stored it)."""
    return (datetime.fromisoformat(received_at) - _EPOCH) // timedelta(microseconds=1) * 1000


def _safe_relative(relative: str, fallback: str) -> Path:
    """The original path below the landing folder, never escaping the scratch folder."""
    rel = Path(relative)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        rel = Path(Path(fallback).name)
    return rel


def replay_missing(con: duckdb.DuckDBPyConnection, source: ArchiveSource, archive_root: Path,
                   scratch_root: Path) -> ReplayResult:
    """Ingest again every archived file (with a record) that the database does not know, in original batches."""
    source.ensure_tables(con)
    for leftover in scratch_root.glob(f"{SCRATCH_PREFIX}{source.kind}-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # scratch copies of a replay that was killed
    known = {r[0] for r in con.execute(f"select file_id from {source.audit_table}").fetchall()}
    pending = [(archived, rec) for archived, rec in archive_records(archive_root, source.kind, known)
               if rec["file_id"] not in known]
    result = ReplayResult(missing_content=[rec["file_id"] for archived, rec in pending if not archived.exists()])
    pending = [(archived, rec) for archived, rec in pending if archived.exists()]
    if not pending:
        return result
    batches: dict[str, list[tuple[Path, dict]]] = {}
    for archived, rec in pending:
        batches.setdefault(rec.get("ingest_batch_id") or rec["file_id"], []).append((archived, rec))
    ordered = sorted(batches.values(), key=lambda files: (min(r.get("ingested_at") or "" for _, r in files),
                                                          files[0][1].get("ingest_batch_id") or ""))
    scratch_root.mkdir(parents=True, exist_ok=True)
    for files in ordered:
        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{source.kind}-", dir=scratch_root) as scratch:
            landing = Path(scratch)
            for archived, rec in files:
                dest = landing / _safe_relative(rec.get("landing_relative_path") or rec["file_name"],
                                                rec["file_name"])
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(archived, dest)
                if rec.get("received_at"):
                    ns = _mtime_ns(rec["received_at"])
                    os.utime(dest, ns=(ns, ns))
            source.ingest(con, landing, archive_root)
        # The scratch folder is not where the files arrived: put their original landing paths back.
        con.executemany(f"update {source.audit_table} set landing_path = ? where file_id = ?",
                        [(rec.get("landing_path"), rec["file_id"]) for _, rec in files])
        result.files += len(files)
        result.batches += 1
    return result


def ingest_landing(con: duckdb.DuckDBPyConnection, source: ArchiveSource, landing: Path,
                   log: Any) -> tuple[Any, ReplayResult]:
    """What an ingest step does: refill a lost build database from the archive, ingest what is new in `landing`
    as one batch, and write the provenance records of the newly archived files. Returns (batch result, replay)."""
    from pipelines import paths

    # A lost build database (deleted, or set aside as damaged) is refilled from the archive first.
    replayed = replay_missing(con, source, paths.archive_dir(), paths.build_db().parent)
    if replayed.files:
        log.warning("build database rebuilt from the archive: %s %s files in %s batches ingested again",
                    replayed.files, source.kind, replayed.batches)
    if replayed.missing_content:
        log.error("archive records without their archived file (not rebuilt): %s", replayed.missing_content[:20])
    batch = source.ingest(con, landing, paths.archive_dir())
    record_ingested(con, source, landing, paths.archive_dir())
    return batch, replayed
