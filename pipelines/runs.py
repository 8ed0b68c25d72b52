"""Runs whose process died (kill -9, out of memory, power loss) are marked failed instead of staying STARTED.

A dead run left STARTED would hold the queue's one writer slot (`warehouse/writes-build-db`, dagster.yaml) forever:
every scheduled, sensor or UI refresh would wait behind it. Dagster's run monitoring cannot see this with the
default run launcher (it has no worker health check, only a max-runtime timeout), so the refresh CLI and the
`dead_run_sensor` check it themselves: the process that started the run (the pid of its RUN_START event) is gone,
or that pid now belongs to a process started after the run. Every run worker runs on this machine (embedded
instance and deploy/ alike), so the pid is meaningful here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter

from pipelines.jobs import WRITER_TAG

START_SLACK_SECONDS = 5.0  # clock-tick rounding of /proc start times


def _process_start_time(pid: int) -> float | None:
    """Unix time the process started (Linux /proc), None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def _process_state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def process_alive(pid: int, not_started_after: float | None = None) -> bool:
    """True when `pid` is a live process that was already running at `not_started_after` (if given)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    if sys.platform.startswith("linux"):
        if _process_state(pid) in ("Z", "X"):
            return False  # killed, not yet reaped by its parent
        started = _process_start_time(pid)
        if started is not None and not_started_after is not None and started > not_started_after + START_SLACK_SECONDS:
            return False  # the pid was reused by a newer process
    return True


def run_pid(instance: DagsterInstance, run_id: str) -> tuple[int | None, float | None]:
    """The pid and time of the run's RUN_START event (None, None before the run worker started)."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START, limit=1).records
    if not records or records[0].event_log_entry.dagster_event is None:
        return None, None
    entry = records[0].event_log_entry
    return entry.dagster_event.pid, entry.timestamp


def dead_runs(instance: DagsterInstance) -> list[tuple[str, int]]:
    """(run id, pid) of every STARTED writer run whose process is gone."""
    dead = []
    records = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.STARTED], tags={WRITER_TAG: "true"}))
    for record in records:
        pid, started = run_pid(instance, record.dagster_run.run_id)
        if pid is None:
            continue
        if not process_alive(pid, started or record.start_time):
            dead.append((record.dagster_run.run_id, pid))
    return dead


def fail_dead_runs(instance: DagsterInstance) -> list[str]:
    """Mark every dead STARTED writer run failed (frees the writer slot); returns their run ids."""
    failed = []
    for run_id, pid in dead_runs(instance):
        run = instance.get_run_by_id(run_id)
        if run is None or run.status != DagsterRunStatus.STARTED:
            continue
        instance.report_run_failed(
            run, f"The run's process (pid {pid}) is gone: it was killed or crashed while the run was STARTED. "
                 "Marked failed so the next refresh can run; it redoes this run's work from the start.")
        failed.append(run_id)
    return failed
