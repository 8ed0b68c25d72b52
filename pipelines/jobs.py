"""The refresh job and its nightly schedule."""

from dagster import AssetSelection, DefaultScheduleStatus, ScheduleDefinition, define_asset_job, in_process_executor

WRITER_TAG = "warehouse/writes-build-db"

# One process writes the build database, step after step: DuckDB allows a single writer.
refresh_job = define_asset_job(
    name="refresh",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest everything new, rebuild the warehouse, run the quality gate, write reports, publish.",
    # The run queue (dagster.yaml) lets one run with this tag at a time: one writer of the build database.
    tags={WRITER_TAG: "true"},
)

nightly_refresh_schedule = ScheduleDefinition(
    name="nightly_refresh",
    job=refresh_job,
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Ho_Chi_Minh",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Nightly full refresh at 02:00 Vietnam time.",
)
