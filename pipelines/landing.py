"""The landing zone and the immutable archive, shared by every source (no Dagster import)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path

import duckdb


def landing_files(landing: Path) -> list[Path]:
    """Candidate input files under a landing folder, sorted by path components (the batch order decides which
    duplicate is kept). One scandir per folder: the entries' types come with the listing, so 7,000 files cost no
    stat calls here (a symbolic link is still followed to see whether it names a file)."""
    if not landing.exists():
        return []
    found: list[Path] = []
    folders = [landing]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir():
                    folders.append(Path(entry.path))
                elif (entry.is_file() and not entry.name.startswith(".") and entry.name.lower() != "readme.md"):
                    found.append(Path(entry.path))
    return sorted(found, key=lambda p: p.parts)


def refusal(path: Path) -> str | None:
    """Why a landing entry must not be read at all: only regular files inside the landing folder are inputs."""
    if path.is_symlink():
        return (f"symbolic link (to {os.readlink(path)!r}), not a regular file: refused, a link can point outside "
                "the landing folder; copy the file itself")
    return None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def archive_bytes(archive_root: Path, kind: str, file_id: str, suffix: str, data: bytes) -> Path:
    """Store content once under archive/<kind>/<aa>/<sha256><suffix>, read-only; returns the archived path."""
    if sha256_bytes(data) != file_id:
        raise OSError(f"content for {file_id[:12]} changed while it was being ingested; run again")
    # The archive name is the hash plus the extension, kept only when it is a short plain one (a 240-character or
    # look-alike extension from a landing file name must not make the name too long or odd).
    suffix = suffix.lower() if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix, re.IGNORECASE | re.ASCII) else ".bin"
    target = archive_root / kind / file_id[:2] / f"{file_id}{suffix}"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.chmod(tmp, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, target)
    return target


HASH_CACHE_DDL = """
create schema if not exists raw;
create table if not exists raw.landing_hash_cache (
    source    varchar not null,   -- submissions / news
    path      varchar not null,   -- the landing file
    size      bigint,
    mtime_ns  bigint,
    ctime_ns  bigint,             -- changes on every write and cannot be set back (unlike mtime)
    inode     bigint,
    device    bigint,
    file_id   varchar not null    -- sha256 of the content when the file had exactly this stat
)
"""


def _stat_key(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


class ContentIds:
    """Content hashes of landing files, reused from the last ingest while a file's stat is unchanged.

    Every refresh looks at every landing file to find what is new; reading and hashing all of them cost 0.5 s at
    10 years of history (7,166 files, 79 MB), more than the one new file. A file whose size, mtime, ctime, inode
    and device are those recorded when it was hashed has the same content (any write changes its ctime, which
    cannot be set back), so its recorded hash is used, but only to skip a file whose content was already
    ingested (`file_id in known`): anything else is read. Take the stat before reading, so that a file written
    while it is read is read again next time. Kept in the build database, not published."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str) -> None:
        con.execute(HASH_CACHE_DDL)
        self.source = source
        self._recorded = {path: (tuple(key), file_id) for path, *key, file_id in con.execute(
            "select path, size, mtime_ns, ctime_ns, inode, device, file_id from raw.landing_hash_cache "
            "where source = ?", [source]).fetchall()}
        self._seen: dict[str, tuple[tuple[int, int, int, int, int], str]] = {}

    def recorded(self, path: Path, st: os.stat_result) -> str | None:
        """The content hash recorded for this file when it had exactly this stat, else None."""
        entry = self._recorded.get(str(path))
        return entry[1] if entry and entry[0] == _stat_key(st) else None

    def remember(self, path: Path, st: os.stat_result, file_id: str) -> None:
        self._seen[str(path)] = (_stat_key(st), file_id)

    def save(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the source's record the files seen in this run (files gone from the landing drop out); only the
        entries that differ are written."""
        changed = [p for p, entry in self._seen.items() if self._recorded.get(p) != entry]
        stale = [p for p in self._recorded if p not in self._seen] + changed
        if stale:
            con.execute("delete from raw.landing_hash_cache where source = ? and list_contains(?, path)",
                        [self.source, stale])
        paths_ = changed
        keys = [self._seen[p][0] for p in paths_]
        if paths_:
            con.execute(
                "insert into raw.landing_hash_cache select ?, unnest(?::varchar[]), unnest(?::bigint[]), "
                "unnest(?::bigint[]), unnest(?::bigint[]), unnest(?::bigint[]), unnest(?::bigint[]), "
                "unnest(?::varchar[])",
                [self.source, paths_, *([k[i] for k in keys] for i in range(5)), [self._seen[p][1] for p in paths_]])
