"""Dagster-facing shared pieces: the dbt CLI resource and the retry policy for transient failures."""

from dagster import Backoff, RetryPolicy
from dagster_dbt import DbtCliResource

from pipelines.transform.project import DBT_EXECUTABLE, dbt_project

# Transient failures (a file briefly locked, a disk hiccup) get two more tries; bad data does not (it is
# quarantined or fails a check, which a retry would not change). dbt is not retried: a failed dbt test would
# only fail again.
TRANSIENT_RETRY = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL)


def dbt_resource() -> DbtCliResource:
    """The dbt CLI of this interpreter's environment, on the project in dbt_project/."""
    return DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
