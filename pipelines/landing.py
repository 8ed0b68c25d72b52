"""The landing zone and the immutable archive, shared by every source (no Dagster import)."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from pathlib import Path


def landing_files(landing: Path) -> list[Path]:
    """Candidate input files under a landing folder, sorted (the batch order decides which duplicate is kept)."""
    if not landing.exists():
        return []
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith(".")
                  and p.name.lower() != "readme.md")


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
