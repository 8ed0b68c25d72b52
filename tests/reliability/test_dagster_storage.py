"""The embedded instance's tuned SQLite storage (pipelines/dagster_storage.py): same files and schema as Dagster's
`storage: sqlite`, pooled connections with synchronous=NORMAL, and the generated dagster.yaml that selects it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, AssetMaterialization, DagsterInstance, Definitions, asset, define_asset_job

from pipelines import dagster_storage, paths

SQLITE_CONFIG = "storage:\n  sqlite:\n    base_dir: {home}\ntelemetry:\n  enabled: false\n"


@asset
def tiny_asset() -> int:
    return 1


def _instance(home: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(home))


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "data" / "dagster_home"))
    config = paths.ensure_instance_config()
    yield config.parent
    dagster_storage.dispose_engines()


def test_generated_config_selects_the_tuned_storage(home: Path) -> None:
    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["storage"]["custom"]["class"] == "TunedSqliteStorage"
    instance = _instance(home)
    assert isinstance(instance.event_log_storage, dagster_storage.TunedSqliteEventLogStorage)
    assert isinstance(instance.run_storage, dagster_storage.TunedSqliteRunStorage)
    assert isinstance(instance.schedule_storage, dagster_storage.TunedSqliteScheduleStorage)


def test_runs_and_events_are_readable_by_dagsters_own_sqlite_storage(home: Path) -> None:
    """A run and runless events written through the tuned storage land in the files `storage: sqlite` reads."""
    instance = _instance(home)
    job = Definitions(assets=[tiny_asset], jobs=[define_asset_job("tiny", selection=[tiny_asset])]).get_job_def("tiny")
    result = job.execute_in_process(instance=instance)
    assert result.success
    for i in range(30):
        instance.report_runless_asset_event(AssetMaterialization(AssetKey(["runless", str(i)]), metadata={"i": i}))
    dagster_storage.dispose_engines()

    assert (home / "history" / "runs.db").exists() and (home / "history" / "runs" / "index.db").exists()
    assert (home / "history" / "runs" / f"{result.run_id}.db").exists()
    (home / "dagster.yaml").write_text(SQLITE_CONFIG.format(home=home), encoding="utf-8")
    plain = _instance(home)
    assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
    run = plain.get_run_by_id(result.run_id)
    assert run is not None and run.is_success
    assert plain.get_latest_materialization_event(AssetKey("tiny_asset")).run_id == result.run_id
    latest = plain.get_latest_materialization_event(AssetKey(["runless", "29"]))
    assert latest.asset_materialization.metadata["i"].value == 29
    types = {e.dagster_event_type.value for e in plain.all_logs(result.run_id) if e.dagster_event}
    assert {"PIPELINE_START", "STEP_START", "ASSET_MATERIALIZATION", "STEP_SUCCESS", "PIPELINE_SUCCESS"} <= types


def test_connections_are_pooled_and_not_fully_synchronous(home: Path) -> None:
    instance = _instance(home)
    instance.report_runless_asset_event(AssetMaterialization(AssetKey("x")))
    index = instance.event_log_storage.conn_string_for_shard("index")
    engine = dagster_storage.engine_for(index)
    assert engine is dagster_storage.engine_for(index)  # one engine per file and process
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw.execute("pragma synchronous").fetchone()[0] == 1  # NORMAL
        assert raw.execute("pragma journal_mode").fetchone()[0] == "wal"  # Dagster's, kept: NORMAL is safe in WAL


def test_open_databases_are_bounded(home: Path, tmp_path: Path) -> None:
    dagster_storage.dispose_engines()
    for i in range(dagster_storage.MAX_ENGINES + 5):
        engine = dagster_storage.engine_for(f"sqlite:///{tmp_path / f'shard{i}.db'}")
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
    assert len(dagster_storage._engines) == dagster_storage.MAX_ENGINES


def test_a_killed_writer_leaves_every_committed_event(home: Path) -> None:
    """kill -9 in the middle of a stream of events: the databases open, and every event the writer reported as
    stored is there (synchronous=NORMAL in WAL mode loses nothing to a process crash)."""
    script = (
        "import sys\n"
        "from dagster import AssetKey, AssetMaterialization, DagsterInstance\n"
        "instance = DagsterInstance.get()\n"
        "for i in range(100000):\n"
        "    instance.report_runless_asset_event(AssetMaterialization(AssetKey(['killed', str(i)])))\n"
        "    print(i, flush=True)\n"
    )
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)
    stored = -1
    for line in proc.stdout:
        stored = int(line)
        if stored >= 150:
            break
    proc.kill()
    proc.wait(timeout=30)
    index = home / "history" / "runs" / "index.db"
    con = sqlite3.connect(index)
    try:
        assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
        keys = {row[0] for row in con.execute("select asset_key from asset_keys")}
    finally:
        con.close()
    missing = [i for i in range(stored + 1) if AssetKey(["killed", str(i)]).to_string() not in keys]
    assert not missing, f"events reported stored but missing after kill -9: {missing[:10]}"


def test_older_generated_config_is_upgraded_and_a_users_own_is_kept(home: Path) -> None:
    config = home / "dagster.yaml"
    first_line = paths.INSTANCE_CONFIG.split("\n", 1)[0]
    config.write_text(first_line + "\ntelemetry:\n  enabled: false\n", encoding="utf-8")
    paths.ensure_instance_config()
    assert config.read_text(encoding="utf-8") == paths.INSTANCE_CONFIG

    own = "# my instance\n" + SQLITE_CONFIG.format(home=home)
    config.write_text(own, encoding="utf-8")
    paths.ensure_instance_config()
    assert config.read_text(encoding="utf-8") == own
