"""The production instance config (deploy/dagster.yaml) against a real PostgreSQL: one refresh through the same
CLI `make run` uses, with DAGSTER_HOME holding deploy/dagster.yaml and the DAGSTER_PG_* variables pointing at a
throw-away server on loopback; the run history must land in PostgreSQL, not in SQLite files.

The server is Debian's PostgreSQL (apt-get install when missing and we are root), in its own cluster in a
temporary folder, on a free port, with its unix socket in that folder; stopped in a finally block.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO, copy_sample_inputs, run_refresh

DEPLOY = REPO / "deploy"
PG_USER, PG_DB = "dagster", "dagster"


# ------------------------------------------------------------------------------------------- fast: the files

def test_deploy_config_matches_the_embedded_queue() -> None:
    """deploy/dagster.yaml keeps the embedded default's one-writer queue and reads every PG setting from env."""
    from pipelines import paths

    deploy = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    embedded = yaml.safe_load(paths.INSTANCE_CONFIG)
    assert deploy["run_coordinator"] == embedded["run_coordinator"]
    limits = deploy["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "warehouse/writes-build-db", "limit": 1} in limits
    assert deploy["telemetry"] == {"enabled": False}
    db = dict(deploy["storage"]["postgres"]["postgres_db"])
    # psycopg2 is the driver dagster-postgres installs; SQLAlchemy 2.1's bare "postgresql" means psycopg 3.
    assert db.pop("scheme") == "postgresql+psycopg2"
    assert {k: v.get("env") for k, v in db.items()} == {
        "username": "DAGSTER_PG_USERNAME", "password": "DAGSTER_PG_PASSWORD", "hostname": "DAGSTER_PG_HOST",
        "db_name": "DAGSTER_PG_DB", "port": "DAGSTER_PG_PORT"}


def test_systemd_units_bind_loopback_and_share_the_env_file() -> None:
    env_files = set()
    for name in ("dagster-webserver.service", "dagster-daemon.service"):
        text = (DEPLOY / name).read_text(encoding="utf-8")
        lines = [line.strip() for line in text.splitlines()]
        exec_start = next(line for line in lines if line.startswith("ExecStart="))
        assert any(line.startswith("User=") and line != "User=root" for line in lines), name
        env_files |= {line for line in lines if line.startswith("EnvironmentFile=")}
        assert "-w workspace.yaml" in exec_start or "--workspace workspace.yaml" in exec_start, name
        if name == "dagster-webserver.service":
            assert "-h 127.0.0.1" in exec_start, exec_start
    assert len(env_files) == 1, env_files  # both services see the same DAGSTER_HOME and PG settings
    example = (DEPLOY / "warehouse.env.example").read_text(encoding="utf-8")
    for var in ("DAGSTER_HOME", "WAREHOUSE_DATA_DIR", "RAW_INPUTS_DIR", "DAGSTER_PG_USERNAME", "DAGSTER_PG_PASSWORD",
                "DAGSTER_PG_HOST", "DAGSTER_PG_PORT", "DAGSTER_PG_DB"):
        assert f"\n{var}=" in f"\n{example}", var


# ------------------------------------------------------------------------------ slow: a real PostgreSQL server

def _pg_bindir() -> Path | None:
    """The newest Debian PostgreSQL server binaries (/usr/lib/postgresql/<major>/bin), if installed."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _pg_bindir_or_skip() -> Path:
    bindir = _pg_bindir()
    if bindir:
        return bindir
    reason = "PostgreSQL server binaries missing (/usr/lib/postgresql/*/bin/initdb)"
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        try:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, timeout=600, check=True)
            subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "postgresql"], env=env,
                           capture_output=True, timeout=900, check=True)
        except (subprocess.SubprocessError, OSError) as exc:
            reason += f" and `apt-get install -y postgresql` failed: {exc}"
        bindir = _pg_bindir()
        if bindir:
            return bindir
    else:
        reason += " and they cannot be installed here (not root, or no apt-get)"
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PgServer:
    port: int
    socket_dir: Path
    password: str

    @property
    def env(self) -> dict[str, str]:
        """What the env file of deploy/ sets: TCP on loopback with a password, like a shared server."""
        return {"DAGSTER_PG_USERNAME": PG_USER, "DAGSTER_PG_PASSWORD": self.password, "DAGSTER_PG_HOST": "127.0.0.1",
                "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_DB": PG_DB}

    def connect(self):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user=PG_USER, password=self.password,
                                dbname=PG_DB, connect_timeout=10)


@contextmanager
def postgres_server(bindir: Path):
    """A private cluster (initdb) in a temp folder, started with pg_ctl on a free loopback port; as root, the
    server runs as the `postgres` user (it refuses to run as root)."""
    import psycopg2

    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
    # Not under pytest's tmp_path: that is private to root, and the server runs as `postgres`.
    root = Path(tempfile.mkdtemp(prefix="cpw-pg-"))
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if as_root:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    root.chmod(0o755)
    port = _free_port()
    password = secrets.token_urlsafe(16)
    started = False
    try:
        init = subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8",
                               "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256"],
                              cwd=root, capture_output=True, text=True, timeout=180)
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stdout}\n{init.stderr}")
        opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts,
                                "-w", "-t", "120", "start"], cwd=root, capture_output=True, text=True, timeout=180)
        started = True
        if start.returncode != 0:
            pytest.fail(f"pg_ctl start failed: {start.stderr}\n{log.read_text() if log.exists() else ''}")
        # Superuser over the unix socket (trust): create the role and database the instance uses over TCP.
        admin = psycopg2.connect(host=str(sock), port=port, user="postgres", dbname="postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(f"create role {PG_USER} login password %s", [password])
                cur.execute(f"create database {PG_DB} owner {PG_USER}")
        finally:
            admin.close()
        yield PgServer(port, sock, password)
    finally:
        if started:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "60",
                            "stop"], cwd=root, capture_output=True, timeout=90)
            pid_file = data / "postmaster.pid"
            if pid_file.exists():  # pg_ctl could not stop it: kill the postmaster we started
                try:
                    os.kill(int(pid_file.read_text().split()[0]), 9)
                except (OSError, ValueError):
                    pass
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_refresh_history_lands_in_postgres(tmp_path: Path) -> None:
    bindir = _pg_bindir_or_skip()
    with postgres_server(bindir) as pg:
        data_dir = tmp_path / "data"
        home = data_dir / "dagster_home"   # the layout deploy/README.md uses: DAGSTER_HOME inside the data dir
        home.mkdir(parents=True)
        shutil.copy(DEPLOY / "dagster.yaml", home / "dagster.yaml")
        raw = copy_sample_inputs(tmp_path / "raw_inputs")

        started = time.monotonic()
        run = run_refresh(data_dir, raw, extra_env=pg.env, timeout=600)
        elapsed = time.monotonic() - started
        assert run.returncode == 0, f"refresh failed ({elapsed:.0f}s):\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"

        # The instance config was used as is (the CLI only writes a default one when none exists) ...
        assert (home / "dagster.yaml").read_text() == (DEPLOY / "dagster.yaml").read_text()
        # ... so no SQLite run/event/schedule storage was created under DAGSTER_HOME.
        assert not list(home.rglob("*.db")), sorted(str(p) for p in home.rglob("*.db"))

        run_id = next(line.split()[-1] for line in run.stdout.splitlines() if line.startswith("run id:"))
        con = pg.connect()
        try:
            with con.cursor() as cur:
                cur.execute("select run_id, pipeline_name, status from runs")
                runs = cur.fetchall()
                cur.execute("select count(*) from event_logs where run_id = %s", [run_id])
                events = cur.fetchone()[0]
                cur.execute("select count(*) from event_logs where run_id = %s and dagster_event_type = %s",
                            [run_id, "ASSET_MATERIALIZATION"])
                materializations = cur.fetchone()[0]
        finally:
            con.close()
        assert runs == [(run_id, "refresh", "SUCCESS")], runs
        assert events > 0
        assert materializations >= 40  # every asset of the refresh job materialized, recorded in PostgreSQL
        assert run.published.exists()
        assert run.query("select count(*) from ref.dim_province") == [(63 + 34,)]
