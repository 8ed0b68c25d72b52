"""Shared fixtures: a real refresh run (the same CLI `make run` uses) in a temporary data dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parent.parent


@dataclass
class PipelineRun:
    data_dir: Path
    raw_inputs: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def published(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    @property
    def build(self) -> Path:
        return self.data_dir / "build" / "warehouse.duckdb"

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Query the published warehouse through a separate read-only connection."""
        con = duckdb.connect(str(self.published), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def in_project_venv() -> bool:
    """True under `make test` (the repo's .venv), where `make run` itself can be exercised."""
    return Path(sys.prefix).resolve() == (REPO / ".venv").resolve()


def run_refresh(data_dir: Path, raw_inputs: Path, extra_env: dict[str, str] | None = None,
                timeout: int = 900, via_make: bool = False) -> PipelineRun:
    """Run the refresh in its own data dir: `make run` itself, or the command it runs."""
    env = {**os.environ, "WAREHOUSE_DATA_DIR": str(data_dir), "RAW_INPUTS_DIR": str(raw_inputs),
           "DAGSTER_HOME": str(data_dir / "dagster_home"), **(extra_env or {})}
    (data_dir / "dagster_home").mkdir(parents=True, exist_ok=True)
    command = ["make", "--no-print-directory", "run"] if via_make else [sys.executable, "-m", "pipelines.cli",
                                                                          "refresh"]
    proc = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    return PipelineRun(data_dir, raw_inputs, proc.returncode, proc.stdout, proc.stderr)


def copy_sample_inputs(dest: Path) -> Path:
    """A private copy of the shipped sample landing zone (tests may add files to it)."""
    shutil.copytree(REPO / "raw_inputs", dest, dirs_exist_ok=True)
    return dest


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """One real refresh over the shipped sample, shared by the read-only end-to-end tests."""
    root = tmp_path_factory.mktemp("sample_run")
    raw = copy_sample_inputs(root / "raw_inputs")
    # Under `make test` this is the README's own `make run`; elsewhere (a dev venv) the command it runs.
    run = run_refresh(root / "data", raw, via_make=in_project_venv())
    assert run.returncode == 0, f"refresh failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    return run
