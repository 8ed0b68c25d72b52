"""Sensors: start a refresh when the landing zone's content changes (by content hash, not by mtime); mark runs
whose process died as failed so they do not hold the one writer slot of the run queue."""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines import paths, runs
from pipelines.jobs import refresh_job
from pipelines.landing import landing_files


def landing_digest() -> tuple[str, int]:
    """sha256 over (relative path, content sha256) of every landing file, and the file count."""
    root = paths.raw_inputs_dir()
    outer = hashlib.sha256()
    files = [p for sub in (paths.submissions_dir(), paths.news_dir()) for p in landing_files(sub)]
    for path in files:
        outer.update(str(path.relative_to(root)).encode())
        outer.update(hashlib.sha256(path.read_bytes()).digest())
    return outer.hexdigest(), len(files)


@sensor(
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Starts a refresh when a file in raw_inputs/submissions or raw_inputs/news is new or changed "
                "(compared by content hash). Each distinct landing-zone state triggers at most one run.",
)
def landing_zone_sensor(context: SensorEvaluationContext):
    digest, count = landing_digest()
    if digest == context.cursor:
        return SkipReason(f"no change in {count} landing files")
    context.update_cursor(digest)
    return RunRequest(run_key=f"landing-{digest[:16]}", tags={"trigger": "landing_zone_sensor"})


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks a refresh run failed when its process is gone (killed, crashed, machine restarted) while it "
                "is still STARTED, so the queue's one writer slot is freed for the next refresh (pipelines/runs.py).",
)
def dead_run_sensor(context: SensorEvaluationContext):
    failed = runs.fail_dead_runs(context.instance)
    if failed:
        context.log.warning("marked dead runs failed: %s", ", ".join(failed))
        return SkipReason(f"marked {len(failed)} dead run(s) failed: {', '.join(failed)}")
    return SkipReason("no dead runs")
