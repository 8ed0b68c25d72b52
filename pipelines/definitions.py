"""The table of contents: assembles assets, checks, jobs, schedules, sensors and resources. No logic here."""

from dagster import Definitions, in_process_executor

from pipelines.jobs import refresh_job, nightly_refresh_schedule
from pipelines.news.assets import ingest_news
from pipelines.publish.assets import published_warehouse
from pipelines.quality.checks import submission_batch_gate, warehouse_gate
from pipelines.reference.assets import raw_admin_units
from pipelines.resources import dbt_resource
from pipelines.reports.assets import national_report
from pipelines.sensors import dead_run_sensor, landing_zone_sensor
from pipelines.submissions.assets import ingest_submissions
from pipelines.transform.assets import dbt_models

defs = Definitions(
    assets=[raw_admin_units, ingest_submissions, ingest_news, dbt_models, national_report, published_warehouse],
    asset_checks=[submission_batch_gate, warehouse_gate],
    jobs=[refresh_job],
    schedules=[nightly_refresh_schedule],
    sensors=[landing_zone_sensor, dead_run_sensor],
    resources={"dbt": dbt_resource()},
    executor=in_process_executor,
)
