"""Where everything lives at run time. `WAREHOUSE_DATA_DIR` and `RAW_INPUTS_DIR` override the defaults."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"


def expectations_dir() -> Path:
    """The GX suites in force: expectations/ unless WAREHOUSE_EXPECTATIONS_DIR points at another folder."""
    return Path(os.environ.get("WAREHOUSE_EXPECTATIONS_DIR") or EXPECTATIONS_DIR).resolve()


def data_dir() -> Path:
    """Root of all runtime data (git-ignored): build db, published db, reports, archive, Dagster home."""
    return Path(os.environ.get("WAREHOUSE_DATA_DIR") or REPO_ROOT / "data").resolve()


def raw_inputs_dir() -> Path:
    """The landing zone the pipeline reads: `raw_inputs/` unless RAW_INPUTS_DIR points elsewhere."""
    return Path(os.environ.get("RAW_INPUTS_DIR") or REPO_ROOT / "raw_inputs").resolve()


def submissions_dir() -> Path:
    return raw_inputs_dir() / "submissions"


def news_dir() -> Path:
    return raw_inputs_dir() / "news"


def build_db() -> Path:
    """The one DuckDB file the pipeline writes."""
    return data_dir() / "build" / "warehouse.duckdb"


def dbt_target_dir() -> Path:
    """dbt's target folder for builds of this data dir's database, kept between runs: its partial_parse.msgpack
    was parsed with this database path in the profile, so dbt re-parses nothing (a target folder parsed with
    another path, e.g. dbt_project/target, makes dbt re-parse the whole project: 5 s)."""
    return data_dir() / "build" / "dbt_target"


def published_db() -> Path:
    """The published copy analysts open read-only; replaced atomically by the publish step."""
    return data_dir() / "warehouse.duckdb"


def releases_dir() -> Path:
    """The last few published versions, kept for rollback."""
    return data_dir() / "releases"


def reports_dir() -> Path:
    return data_dir() / "reports"


def archive_dir() -> Path:
    """Immutable, content-addressed copies of every input file ever seen."""
    return data_dir() / "archive"


def quality_docs_dir() -> Path:
    return data_dir() / "quality_docs"


def dagster_home() -> Path:
    return data_dir() / "dagster_home"


def ensure_dirs() -> None:
    """Create the runtime folders (idempotent)."""
    for path in (build_db().parent, reports_dir(), archive_dir(), quality_docs_dir(), dagster_home(), releases_dir()):
        path.mkdir(parents=True, exist_ok=True)


DEFAULT_DUCKDB_MEMORY = "600MB"


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for every connection of the pipeline (and dbt's): `WAREHOUSE_DUCKDB_MEMORY`, default
    600MB. DuckDB's own default (80 % of RAM) lets one 10-year ingest hold 1.6 GB; with 600 MB it spills what does
    not fit to `data/build/warehouse.duckdb.tmp/` and peaks at 0.8 GB, measured at the same CPU time."""
    return os.environ.get("WAREHOUSE_DUCKDB_MEMORY") or DEFAULT_DUCKDB_MEMORY


def dbt_env() -> dict[str, str]:
    """Environment the dbt subprocess needs: the absolute build database path and the memory limit for
    profiles.yml."""
    return {"WAREHOUSE_BUILD_DB": str(build_db()), "WAREHOUSE_DUCKDB_MEMORY": duckdb_memory_limit()}


INSTANCE_CONFIG = """\
# Written by pipelines (paths.ensure_instance_config) when missing: the embedded default instance.
# Run/event/schedule storage: SQLite files in this folder, the same files and schema as `storage: sqlite`, through
# pooled connections with synchronous=NORMAL (pipelines/dagster_storage.py: 2 ms per event instead of 14).
# See deploy/ for PostgreSQL. Delete this file to have it rewritten; edit the first line to keep your own.
storage:
  custom:
    module: pipelines.dagster_storage
    class: TunedSqliteStorage
    config:
      base_dir:
        env: DAGSTER_HOME
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 4
    tag_concurrency_limits:
      - key: "warehouse/writes-build-db"   # DuckDB allows one writer: one refresh at a time
        limit: 1
run_retries:
  enabled: true
  max_retries: 0
# Fails runs stuck in STARTING/CANCELING. A STARTED run whose process died is marked failed by the refresh CLI and
# the dead_run_sensor instead (pipelines/runs.py): the default run launcher has no worker health check.
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  cancel_timeout_seconds: 180
telemetry:
  enabled: false
"""


def ensure_instance_config() -> Path:
    """Write data/dagster_home/dagster.yaml (queue with a one-writer limit, tuned SQLite storage) when it is missing
    or is an older version of the file this function writes (same first line); a file edited to start otherwise
    is left alone."""
    home = dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    current = config.read_text(encoding="utf-8") if config.exists() else None
    if current is None or (current != INSTANCE_CONFIG
                           and current.split("\n", 1)[0] == INSTANCE_CONFIG.split("\n", 1)[0]):
        partial = config.with_name("dagster.yaml.partial")
        partial.write_text(INSTANCE_CONFIG, encoding="utf-8")
        os.replace(partial, config)
    return config
