"""Faults and idempotence of the real refresh (issue #8): kill -9 at every stage, a damaged or deleted build
database, a full disk, and the same inputs run twice.

Every case runs `python -m pipelines.cli refresh` (what `make run` runs) as a subprocess on a private copy of a
data dir that already holds one good published release (the session's `sample_run`). Mart contents are compared
as a sha256 over each table's rows sorted by every column, for every table of the `marts` and `ref` schemas of
the published file.

Kill -9 runs as one chain to keep the time reasonable: a new submission file is added, then six refreshes are
started one after the other and each is killed (SIGKILL to its whole process group, dbt included) at the next
stage: ingest, batch gate, dbt, warehouse gate, reports, publish; a seventh refresh runs to the end. The stage is
observed from outside: the Dagster log lines the refresh prints (STEP_START, dbt's materializations) or, for the
ingest, the new file appearing in the archive (archived, not yet committed). The killed run's own event log then
has to show the stage's step started and not finished, so a case cannot pass without a kill inside its stage.
After each kill the published file must open read-only, read in full, and hold the last good release; the next
refresh (no manual step) must get through the stage where the previous one died; the last one publishes the new
file with every row. The two independent one-refresh cases (the same inputs again; a build database overwritten
with random bytes) run in the background meanwhile (`side_runs`). Then the kill chain's build database is
deleted and rebuilt from the archive alone (empty landing zone): its marts must equal the kill chain's, so no row
was lost. Runtime: 11 refresh processes (the session's sample run, 6 killed, 4 complete) and a short disk-full
one; 9.5-10 minutes on a shared 2-core machine with other jobs running (load average 2-6).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from tests.conftest import REPO, PipelineRun, run_refresh

pytestmark = pytest.mark.slow

COMPARED_SCHEMAS = ("marts", "ref")
# Load metadata: when and in which ingest batch an article was loaded. A rebuild from the archive loads the files
# again, so these two change (as after a first run in an empty data folder); every other column must not.
RELOAD_METADATA = {("marts.dim_news_article", "ingested_at"), ("marts.dim_news_article", "ingest_batch_id")}
ARCHIVE_PREFIX = re.compile(r"^/\S*?/archive/(?=(submissions|news)/)")
NEW_FILE = "36_2025-03.csv"  # a month Nam Định did not report yet in the sample (legacy map)
NEW_FILE_MTIME = 1_741_000_000  # fixed received time, so every copy of the inputs is the same input


@dataclass(frozen=True)
class Stage:
    name: str
    step: str  # the Dagster step that is this stage
    log: str | None = None  # kill on the first log line matching this regex...
    appears: str | None = None  # ... or on the first file matching this glob under the data dir ({id}: new file)


STAGES = [
    # the new file's archived copy is written before the batch's one transaction: killed between the two
    Stage("ingest", "ingest_submissions", appears="archive/submissions/{id2}/{id}*"),
    Stage("batch_gate", "raw__submission_rows_gx_submission_batch",
          log=r'STEP_START - Started execution of step "raw__submission_rows_gx_submission_batch"'),
    # dbt has built the staging models and is writing the marts
    Stage("dbt", "dbt_models", log=r"dbt_models - ASSET_MATERIALIZATION - Materialized value marts "),
    Stage("warehouse_gate", "warehouse_gate", log=r'STEP_START - Started execution of step "warehouse_gate"'),
    Stage("reports", "reports", log=r'STEP_START - Started execution of step "reports"'),
    # the release file is being written beside the published one
    Stage("publish", "published__warehouse", appears="releases/.warehouse-*.duckdb.partial"),
]


# ---------------------------------------------------------------------------------------------------- helpers

def refresh_env(data: Path, raw: Path) -> dict[str, str]:
    return {**os.environ, "WAREHOUSE_DATA_DIR": str(data), "RAW_INPUTS_DIR": str(raw),
            "DAGSTER_HOME": str(data / "dagster_home"), "PYTHONUNBUFFERED": "1"}


def copy_data(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def read_fully(db: Path) -> str:
    """Open read-only, read every row of every table (every block's checksum), return the release id."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
            con.execute(f'select min(hash(t)) from "{schema}"."{table}" as t').fetchall()
        return con.execute("select release_id from meta.release").fetchall()[0][0]
    finally:
        con.close()


def table_hashes(db: Path, exclude: set[tuple[str, str]] = frozenset()) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the rows sorted by every column) of each marts/ref table, minus `exclude` columns.

    Paths of archived copies (dim_news_article.source_archive_path) are compared from `archive/` on: a copied
    data folder keeps the paths of the folder it was copied from, a rebuilt one has its own.
    """
    con = duckdb.connect(str(db), read_only=True)
    out = {}
    try:
        tables = con.execute("select schema_name, table_name from duckdb_tables() where list_contains(?, schema_name) "
                             "order by 1, 2", [list(COMPARED_SCHEMAS)]).fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            cols = [c for (c,) in con.execute("select column_name from duckdb_columns() where schema_name = ? and "
                                              "table_name = ? order by column_index", [schema, table]).fetchall()
                    if (name, c) not in exclude]
            select = ", ".join(f'"{c}"' for c in cols)
            digest = hashlib.sha256()
            rows = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()
            for row in rows:
                digest.update(repr(tuple(ARCHIVE_PREFIX.sub("<data>/archive/", v) if isinstance(v, str) else v
                                         for v in row)).encode())
            out[name] = (len(rows), digest.hexdigest())
    finally:
        con.close()
    return out


def diff_hashes(a: dict, b: dict) -> list[str]:
    return [f"{t}: {a.get(t)} != {b.get(t)}" for t in sorted(set(a) | set(b)) if a.get(t) != b.get(t)]


def instance_for(data: Path):
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    home = str(data / "dagster_home")
    # The generated dagster.yaml puts the storage at $DAGSTER_HOME (Dagster's convention: the instance is
    # DAGSTER_HOME), so it points there while the instance is built.
    saved = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = home
    try:
        return DagsterInstance.from_ref(InstanceRef.from_dir(home))
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = saved


def step_events(data: Path, run_id: str) -> dict[str, set[str]]:
    """step key -> the step event types the run's event log holds (STEP_START, STEP_SUCCESS, STEP_FAILURE)."""
    from dagster import DagsterEventType

    wanted = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    with instance_for(data) as instance:
        records = instance.get_records_for_run(run_id, of_type=wanted, limit=10_000).records
    out: dict[str, set[str]] = {}
    for rec in records:
        event = rec.event_log_entry.dagster_event
        out.setdefault(event.step_key, set()).add(event.event_type_value)
    return out


def run_statuses(data: Path) -> dict[str, tuple[str, str | None]]:
    """run id -> (status, failure message) of every run in the data dir's instance."""
    from dagster import DagsterEventType

    with instance_for(data) as instance:
        out = {}
        for record in instance.get_run_records():
            run = record.dagster_run
            message = None
            if run.status.value == "FAILURE":
                failures = instance.get_records_for_run(run.run_id, of_type=DagsterEventType.RUN_FAILURE).records
                message = failures[-1].event_log_entry.dagster_event.message if failures else None
            out[run.run_id] = (run.status.value, message)
        return out


def in_progress_writer_runs(data: Path) -> list[str]:
    """Runs that hold the queue's one writer slot (dagster.yaml tag_concurrency_limits)."""
    from dagster import RunsFilter
    from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES

    from pipelines.jobs import WRITER_TAG

    with instance_for(data) as instance:
        return [r.dagster_run.run_id for r in instance.get_run_records(
            RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES, tags={WRITER_TAG: "true"}))]


def group_alive(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            alive.append(int(stat.parent.name))
    return alive


LEFTOVER_PATTERNS = ("build/*.wal", "build/.replay-*", "releases/.warehouse-*", ".warehouse.duckdb.*.tmp",
                     "reports/**/.*.tmp", "build/warehouse.duckdb.corrupt-*")


def leftovers(data: Path) -> list[str]:
    return sorted(str(p.relative_to(data)) for pattern in LEFTOVER_PATTERNS for p in data.glob(pattern))


def build_db_snapshot(data: Path, file_name: str, scratch: Path) -> dict:
    """What the build database holds right after a kill, read from a copy (the original is left untouched)."""
    scratch.mkdir(parents=True, exist_ok=True)
    for f in (data / "build").glob("warehouse.duckdb*"):
        shutil.copy2(f, scratch / f.name)
    con = duckdb.connect(str(scratch / "warehouse.duckdb"))
    try:
        rows = con.execute("select count(*) from audit.submission_files where file_name = ?", [file_name]).fetchall()
        return {"new_file_committed": rows[0][0] > 0}
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class KillResult:
    stage: str
    returncode: int
    seconds: float  # from process start to the kill
    observed: str  # the log line or file that triggered it
    run_id: str
    steps: dict[str, set[str]]
    status_after_kill: str
    published_release: str
    published_hashes: dict
    leftovers: list[str]
    evidence: dict = field(default_factory=dict)
    live_check: list | None = None  # dead_runs() while the run was alive (must not list it)


def kill_refresh_at(data: Path, raw: Path, stage: Stage, new_file_id: str, scratch: Path,
                    timeout: float = 600) -> KillResult:
    """Start the refresh in its own process group, SIGKILL the group at the stage, and collect the evidence."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO, env=refresh_env(data, raw),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    pgid = proc.pid
    lines: list[str] = []
    hit = threading.Event()
    observed: list[str] = []
    live_check: list = []
    pattern = re.compile(stage.log) if stage.log else None
    appears = stage.appears.format(id=new_file_id, id2=new_file_id[:2]) if stage.appears else None

    def kill(what: str) -> None:
        if not hit.is_set():
            os.killpg(pgid, signal.SIGKILL)
            observed.append(what)
            hit.set()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if pattern is not None and pattern.search(line):
                kill(line.strip())
            elif stage.name == "dbt" and 'STEP_START - Started execution of step "dbt_models"' in line:
                # dbt runs for tens of seconds: check that a live run is not taken for a dead one
                from pipelines import runs

                with instance_for(data) as instance:
                    live_check.extend(runs.dead_runs(instance))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while not hit.is_set() and proc.poll() is None and time.monotonic() - started < timeout:
        if appears:
            found = next(data.glob(appears), None)
            if found is not None:
                kill(f"{found.relative_to(data)} appeared")
        time.sleep(0.002)
    if not hit.is_set() and proc.poll() is None:
        kill("timeout")
    proc.wait(timeout=60)
    reader.join(timeout=30)
    seconds = time.monotonic() - started
    output = "".join(lines)
    assert hit.is_set() and observed[0] != "timeout", (
        f"the refresh ended (rc {proc.returncode}) before reaching stage {stage.name}:\n{output[-4000:]}")
    deadline = time.monotonic() + 10
    while group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not group_alive(pgid), f"processes of the killed refresh survived: {group_alive(pgid)}"

    run_ids = re.findall(r" - refresh - ([0-9a-f-]{36}) - ", output)
    assert run_ids, f"no run id in the output of the killed refresh:\n{output[-3000:]}"
    run_id = run_ids[-1]
    published = data / "warehouse.duckdb"
    result = KillResult(
        stage=stage.name, returncode=proc.returncode, seconds=round(seconds, 1), observed=observed[0],
        run_id=run_id, steps=step_events(data, run_id), status_after_kill=run_statuses(data)[run_id][0],
        published_release=read_fully(published), published_hashes=table_hashes(published),
        leftovers=leftovers(data), live_check=live_check if stage.name == "dbt" else None)
    result.evidence = build_db_snapshot(data, NEW_FILE, scratch)
    result.evidence["build_wal_present"] = (data / "build" / "warehouse.duckdb.wal").exists()
    result.evidence["partial_release_present"] = any((data / "releases").glob(".warehouse-*.partial*"))
    return result


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_new_file(raw: Path) -> tuple[Path, str]:
    """A new month for province 36 (legacy map): the June file with another period in its header."""
    src = raw / "submissions" / "36_2025-06.csv"
    content = src.read_bytes()
    old, new = "Kỳ báo cáo: 2025-06".encode(), "Kỳ báo cáo: 2025-03".encode()
    assert content.count(old) == 1
    dest = raw / "submissions" / NEW_FILE
    dest.write_bytes(content.replace(old, new))
    os.utime(dest, (NEW_FILE_MTIME, NEW_FILE_MTIME))
    return dest, sha256_file(dest)


@dataclass
class BackgroundRefresh:
    """A refresh started in the background (a Popen writing to files), to overlap independent cases."""

    data: Path
    raw: Path
    proc: subprocess.Popen
    out: Path
    err: Path
    started: float

    @classmethod
    def start(cls, data: Path, raw: Path) -> "BackgroundRefresh":
        out, err = data.parent / "refresh.out", data.parent / "refresh.err"
        with out.open("w") as o, err.open("w") as e:
            proc = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO,
                                    env=refresh_env(data, raw), stdout=o, stderr=e, text=True)
        return cls(data, raw, proc, out, err, time.monotonic())

    def result(self, timeout: float = 900) -> PipelineRun:
        self.proc.wait(timeout=timeout)
        return PipelineRun(self.data, self.raw, self.proc.returncode, self.out.read_text(), self.err.read_text())


def empty_landing(root: Path) -> Path:
    for sub in ("submissions", "news"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    return root


# ---------------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def baseline(sample_run) -> dict:
    """The last good release every fault must leave in place: its id, its mart hashes and the file's bytes."""
    published = sample_run.published
    return {"release": read_fully(published), "hashes": table_hashes(published),
            "sha256": sha256_file(published), "run": sample_run}


@pytest.fixture(scope="module")
def side_runs(sample_run, baseline, tmp_path_factory) -> dict[str, BackgroundRefresh]:
    """The independent one-refresh cases, started in the background so they overlap with the kill chain."""
    runs = {}
    # idempotence: the same inputs again, nothing new
    root = tmp_path_factory.mktemp("second_run")
    runs["second_run"] = BackgroundRefresh.start(copy_data(sample_run.data_dir, root / "data"), sample_run.raw_inputs)
    # a build database overwritten with random bytes (same size), and an empty landing zone: only the archive
    root = tmp_path_factory.mktemp("corrupt_build_db")
    data = copy_data(sample_run.data_dir, root / "data")
    build = data / "build" / "warehouse.duckdb"
    build.write_bytes(os.urandom(build.stat().st_size))
    runs["corrupt"] = BackgroundRefresh.start(data, empty_landing(root / "empty_landing"))
    yield runs
    for run in runs.values():
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()


@dataclass
class Chain:
    data: Path
    raw: Path
    new_file_id: str
    kills: dict[str, KillResult]
    next_steps: dict[str, dict[str, set[str]]]  # stage -> step events of the refresh after its kill
    sensor_marked: list[str]
    slot_held_after_kill: list[str]
    final: PipelineRun
    final_seconds: float


@pytest.fixture(scope="module")
def kill_chain(sample_run, baseline, side_runs, tmp_path_factory) -> Chain:
    from dagster import build_sensor_context

    from pipelines.sensors import dead_run_sensor

    root = tmp_path_factory.mktemp("kill_chain")
    data = copy_data(sample_run.data_dir, root / "data")
    raw = copy_data(sample_run.raw_inputs, root / "raw_inputs")
    _, new_file_id = add_new_file(raw)
    kills: dict[str, KillResult] = {}
    sensor_marked: list[str] = []
    slot_held: list[str] = []
    for i, stage in enumerate(STAGES):
        kills[stage.name] = kill_refresh_at(data, raw, stage, new_file_id, root / f"snapshot-{stage.name}")
        if i == 0:
            # The dead run holds the writer slot until something notices; the daemon's sensor does, here.
            slot_held = in_progress_writer_runs(data)
            with instance_for(data) as instance:
                skip = dead_run_sensor(build_sensor_context(instance=instance))
            sensor_marked = [kills[stage.name].run_id] if kills[stage.name].run_id in (skip.skip_message or "") else []
    started = time.monotonic()
    final = run_refresh(data, raw, extra_env={"PYTHONUNBUFFERED": "1"})
    final_seconds = time.monotonic() - started
    assert final.returncode == 0, f"the refresh after the kills failed:\n{final.stdout[-3000:]}\n{final.stderr[-6000:]}"
    final_run_id = re.findall(r"run id:\s+(\S+)", final.stdout)[-1]
    # the refresh after stage i's kill is the one killed at stage i+1, or the final one
    run_ids = [kills[s.name].run_id for s in STAGES[1:]] + [final_run_id]
    next_steps = {stage.name: step_events(data, rid) for stage, rid in zip(STAGES, run_ids)}
    chain = Chain(data, raw, new_file_id, kills, next_steps, sensor_marked, slot_held, final, final_seconds)
    for k in kills.values():
        print(f"kill at {k.stage}: {k.seconds}s after start, on {k.observed[-110:]!r}; evidence {k.evidence}; "
              f"leftovers {k.leftovers}")
    return chain


# ---------------------------------------------------------------------------------------------------- kill -9

@pytest.mark.parametrize("stage", STAGES, ids=[s.name for s in STAGES])
def test_kill_at_stage_keeps_published_and_next_refresh_recovers(kill_chain, baseline, stage) -> None:
    k = kill_chain.kills[stage.name]
    # the kill happened, inside this stage: its step started and never finished
    assert k.returncode == -signal.SIGKILL
    assert "STEP_START" in k.steps.get(stage.step, set()), (k.observed, k.steps)
    assert not k.steps[stage.step] & {"STEP_SUCCESS", "STEP_FAILURE"}, k.steps[stage.step]
    later = [s.step for s in STAGES[STAGES.index(stage) + 1:]]
    assert not any(k.steps.get(step) for step in later), k.steps
    if stage.name == "ingest":
        assert not k.evidence["new_file_committed"], "killed after the ingest committed: not inside the stage"
    # Dagster itself left the run STARTED: nobody marked it failed (that is for the next refresh / the sensor)
    assert k.status_after_kill == "STARTED"

    # the published warehouse is the last good release, opens read-only and reads in full (read_fully did)
    assert k.published_release == baseline["release"], f"published changed by a killed run at {stage.name}"
    assert diff_hashes(k.published_hashes, baseline["hashes"]) == []

    # the next refresh, with no manual step, got through the stage where this one died
    after = kill_chain.next_steps[stage.name]
    assert "STEP_SUCCESS" in after.get(stage.step, set()), after.get(stage.step)
    # ... and the killed run does not stay STARTED (it would hold the writer slot of the run queue)
    status, message = run_statuses(kill_chain.data)[k.run_id]
    assert status == "FAILURE"
    assert "is gone" in (message or ""), message


def test_dead_run_holds_the_writer_slot_until_marked_failed(kill_chain) -> None:
    first = kill_chain.kills[STAGES[0].name]
    # right after the kill the dead run held the one writer slot; the sensor freed it, naming the run
    assert kill_chain.slot_held_after_kill == [first.run_id]
    assert kill_chain.sensor_marked == [first.run_id]
    # a live run (checked while dbt was running) is never taken for a dead one
    assert kill_chain.kills["dbt"].live_check == []
    # every killed run is FAILURE now, no run holds the writer slot, the final refresh succeeded
    statuses = run_statuses(kill_chain.data)
    assert all(statuses[k.run_id][0] == "FAILURE" for k in kill_chain.kills.values())
    assert in_progress_writer_runs(kill_chain.data) == []
    # the refresh after the last kill said which run it marked failed
    assert f"marked run {kill_chain.kills[STAGES[-1].name].run_id} failed" in kill_chain.final.stderr


def test_after_the_kills_the_new_file_is_published_with_every_row(kill_chain, baseline) -> None:
    data = kill_chain.data
    final = kill_chain.final
    release = read_fully(final.published)
    assert release != baseline["release"]
    (received, loaded, quarantined, status), = final.query(
        "select rows_received, rows_loaded, rows_quarantined, status from audit.submission_files "
        "where file_name = ?", [NEW_FILE])
    # the same unit rows as the June file it was made from
    (source_rows,), = final.query("select rows_received from audit.submission_files where file_name = ?",
                                  ["36_2025-06.csv"])
    assert status == "accepted" and received == source_rows == loaded + quarantined and loaded > 0
    (in_mart,), = final.query("select count(*) from marts.fct_staffing_snapshot where source_file_name = ?",
                              [NEW_FILE])
    assert in_mart == loaded
    # ingested once, although six runs were killed around it
    assert final.query("select count(*) from audit.submission_files where file_name = ?", [NEW_FILE]) == [(1,)]
    assert final.query("select count(*) from (select file_id, row_number, count(*) from audit.quarantine_rows "
                       "group by all having count(*) > 1)") == [(0,)]
    # nothing half-written is left: no partial release, no install temp link, no replay folder, no stale WAL
    assert leftovers(data) == [], leftovers(data)
    assert len(list((data / "releases").glob("warehouse-*.duckdb"))) <= 5
    print(f"kill chain: 6 kills, final refresh {kill_chain.final_seconds:.0f}s, {NEW_FILE}: {received} rows = "
          f"{loaded} loaded + {quarantined} quarantined, {in_mart} in fct_staffing_snapshot")


# ------------------------------------------------------------------------------- damaged or deleted build database

def test_deleted_build_db_is_rebuilt_from_the_archive_with_identical_marts(kill_chain, tmp_path) -> None:
    """The build database of the kill chain is deleted and the landing zone emptied: only the archive is left.
    The marts rebuilt from it equal those the kill chain published (so the kills lost no row either)."""
    data = copy_data(kill_chain.data, tmp_path / "data")
    before = table_hashes(data / "warehouse.duckdb", RELOAD_METADATA)
    counts_before = PipelineRun(data, kill_chain.raw, 0, "", "").query(
        "select (select count(*) from audit.submission_files), (select sum(rows_loaded) from audit.submission_files),"
        " (select count(*) from audit.quarantine_rows), (select count(*) from audit.news_files)")
    for f in (data / "build").glob("warehouse.duckdb*"):
        f.unlink()
    run = run_refresh(data, empty_landing(tmp_path / "empty_landing"))
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    assert "rebuilt from the archive" in run.stderr + run.stdout
    after = table_hashes(run.published, RELOAD_METADATA)
    assert diff_hashes(after, before) == []
    assert run.query("select (select count(*) from audit.submission_files), (select sum(rows_loaded) from "
                     "audit.submission_files), (select count(*) from audit.quarantine_rows), "
                     "(select count(*) from audit.news_files)") == counts_before
    # the files keep the landing path they arrived under, not the scratch folder of the rebuild
    assert run.query("select count(*) from audit.submission_files where landing_path like '%.replay-%'") == [(0,)]
    print(f"deleted build db: {len(after)} tables, {sum(n for n, _ in after.values())} rows identical; "
          f"{counts_before}")


def test_corrupt_build_db_is_set_aside_and_rebuilt_with_identical_marts(sample_run, side_runs) -> None:
    """The build database was overwritten with random bytes (same size) and the landing zone emptied (side_runs)."""
    run = side_runs["corrupt"].result()
    data = run.data_dir
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    aside = list((data / "build").glob("warehouse.duckdb.corrupt-*"))
    assert len(aside) == 1 and "is damaged" in run.stderr, run.stderr[-3000:]
    assert "rebuilt from the archive" in run.stderr + run.stdout
    after = table_hashes(run.published, RELOAD_METADATA)
    assert diff_hashes(after, table_hashes(sample_run.published, RELOAD_METADATA)) == []
    print(f"corrupt build db: set aside as {aside[0].name}; {len(after)} tables, "
          f"{sum(n for n, _ in after.values())} rows identical")


# ------------------------------------------------------------------------------------------------------ idempotence

def test_second_refresh_on_the_same_inputs_gives_identical_marts(baseline, side_runs) -> None:
    """`sample_run` ran in an empty data dir; running again on its copy with nothing new (side_runs) changes no
    mart row, not even the load metadata."""
    run = side_runs["second_run"].result()
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    assert read_fully(run.published) != baseline["release"]  # a new release was published...
    after = table_hashes(run.published)
    assert diff_hashes(after, baseline["hashes"]) == []  # ... with the same marts, every column
    print(f"idempotence: {len(after)} tables ({', '.join(sorted(after))}), "
          f"{sum(n for n, _ in after.values())} rows identical")


# ------------------------------------------------------------------------------------------------------ disk full

def _mount_tmpfs(path: Path, size_bytes: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    return proc.returncode == 0


def test_disk_full_fails_clearly_and_keeps_the_published_file(sample_run, baseline, tmp_path) -> None:
    """The data dir is a small tmpfs (mounted as root, as on this machine and CI) holding a copy of a good data
    dir plus a few MB of room, and a new file to ingest: the build runs out of space. Without the right to mount,
    the closest stand-in is RLIMIT_FSIZE (writes past a size fail with EFBIG); without either, skip."""
    mount = tmp_path / "small_disk"
    used = sum(f.stat().st_size for f in sample_run.data_dir.rglob("*") if f.is_file())
    mounted = _mount_tmpfs(mount, used + 6 * 1024 * 1024)
    raw = copy_data(sample_run.raw_inputs, tmp_path / "raw_inputs")
    add_new_file(raw)
    try:
        data = mount / "data"
        if mounted:
            copy_data(sample_run.data_dir, data)
            preexec = None
        else:
            copy_data(sample_run.data_dir, data)
            limit = max(f.stat().st_size for f in data.rglob("*") if f.is_file()) + 256 * 1024

            def preexec() -> None:
                import resource

                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        published = data / "warehouse.duckdb"
        before = sha256_file(published)
        proc = subprocess.run([sys.executable, "-m", "pipelines.cli", "refresh"], cwd=REPO,
                              env=refresh_env(data, raw), capture_output=True, text=True, timeout=900,
                              preexec_fn=preexec)
        output = proc.stdout + proc.stderr
        assert proc.returncode != 0, output[-3000:]
        no_space = "No space left on device" if mounted else "File too large"
        assert no_space in proc.stderr, proc.stderr[-4000:]
        assert "refresh FAILED" in proc.stderr
        # the published file was not touched and still opens
        assert sha256_file(published) == before
        assert read_fully(published) == baseline["release"]
        assert not list((data / "releases").glob(".warehouse-*.partial*"))
        failed = [line for line in proc.stderr.splitlines() if line.startswith("step ")]
        print(f"disk full ({'tmpfs' if mounted else 'RLIMIT_FSIZE'}): exit {proc.returncode}; {failed[:3]}")
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


# ------------------------------------------------------------------------------------------------ publish leftovers

def test_publish_removes_what_a_killed_publish_left(sample_run, tmp_path, monkeypatch) -> None:
    """A publish killed while building the release file leaves `.partial` (and its WAL); one killed between the
    hard link and the rename leaves `.warehouse.duckdb.<pid>.tmp`. The next publish removes both."""
    from pipelines.publish import release

    data = copy_data(sample_run.data_dir, tmp_path / "data")
    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(data))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    partial = data / "releases" / ".warehouse-20250101T000000000000Z.duckdb.partial"
    partial.write_bytes(os.urandom(4096))
    partial.with_name(partial.name + ".wal").write_bytes(os.urandom(512))
    tmp_link = data / f".warehouse.duckdb.{dead_pid}.tmp"
    os.link(release.list_releases()[0], tmp_link)
    live_link = data / f".warehouse.duckdb.{os.getppid()}.tmp"  # a live process's link is left alone
    os.link(release.list_releases()[0], live_link)
    rel = release.publish()
    assert release.current_release_id() == rel.release_id
    assert not partial.exists() and not partial.with_name(partial.name + ".wal").exists()
    assert not tmp_link.exists()
    assert live_link.exists()
    live_link.unlink()


# ------------------------------------------------------------------------------------- analyst during a publish

def test_analyst_connection_held_across_a_publish(sample_run, baseline, tmp_path) -> None:
    """An analyst keeps a read-only connection to the published file open while another process publishes a new
    release over it: no error on either side; the open connection keeps reading its release in full (every
    cookbook query), a new connection gets the new one. (tests/publish/test_concurrent_readers.py does the same
    with 4 reader processes across 3 whole refreshes.)"""
    data = copy_data(sample_run.data_dir, tmp_path / "data")
    published = data / "warehouse.duckdb"
    queries = sorted((REPO / "docs" / "cookbook").glob("*.sql"))
    assert queries
    con = duckdb.connect(str(published), read_only=True)
    try:
        held = con.execute("select release_id from meta.release").fetchall()[0][0]
        before = {q.name: con.execute(q.read_text(encoding="utf-8")).fetchall() for q in queries}
        proc = subprocess.run(
            [sys.executable, "-c", "from pipelines.publish import release; print(release.publish().release_id)"],
            cwd=REPO, env=refresh_env(data, sample_run.raw_inputs), capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        new_release = proc.stdout.strip().splitlines()[-1]
        assert con.execute("select release_id from meta.release").fetchall()[0][0] == held == baseline["release"]
        assert {q.name: con.execute(q.read_text(encoding="utf-8")).fetchall() for q in queries} == before
        for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall():
            con.execute(f'select min(hash(t)) from "{schema}"."{table}" as t').fetchall()
    finally:
        con.close()
    assert read_fully(published) == new_release != held


# --------------------------------------------------------------------------- damage inside the file (no refresh)

def test_damage_inside_a_raw_table_is_found_and_set_aside(sample_run, tmp_path) -> None:
    """Random bytes over one data block of raw.submission_rows: the file still opens, so only reading the table
    finds the damage (block checksum). The first writing connection of a run does that read and sets the file
    aside; a sound file is left alone; a WAL left without its database is not replayed into a fresh one."""
    from pipelines import warehouse

    sound = tmp_path / "sound.duckdb"
    shutil.copy2(sample_run.build, sound)
    assert warehouse.set_aside_if_corrupt(sound) is None and sound.exists()

    db = tmp_path / "warehouse.duckdb"
    shutil.copy2(sample_run.build, db)
    con = duckdb.connect(str(db), read_only=True)
    try:
        block_size = con.execute("pragma database_size").fetchall()[0][2]
        (block,), = con.execute("select min(block_id) from pragma_storage_info('raw.submission_rows') "
                                "where block_id >= 0").fetchall()
    finally:
        con.close()
    with db.open("r+b") as handle:
        handle.seek(3 * 4096 + block * block_size + 64)  # after the file's three 4 KiB headers
        handle.write(os.urandom(8192))
    con = duckdb.connect(str(db), read_only=True)  # opens: the catalog is intact...
    try:
        with pytest.raises(duckdb.Error, match="Corrupt database file"):
            con.execute("select min(hash(t)) from raw.submission_rows as t").fetchall()  # ... the data is not
    finally:
        con.close()
    aside = warehouse.set_aside_if_corrupt(db)
    assert aside is not None and aside.exists() and not db.exists()
    assert aside.name.startswith("warehouse.duckdb.corrupt-")

    orphan = tmp_path / "orphan" / "warehouse.duckdb"
    orphan.parent.mkdir()
    orphan.with_name("warehouse.duckdb.wal").write_bytes(os.urandom(1024))
    assert warehouse.set_aside_if_corrupt(orphan) is None
    assert not orphan.with_name("warehouse.duckdb.wal").exists()
    assert list(orphan.parent.glob("warehouse.duckdb.orphan-*.wal"))
