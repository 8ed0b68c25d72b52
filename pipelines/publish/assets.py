"""The publish step: after the gate and the reports, swap a fresh analysts' file in atomically."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines import paths
from pipelines.publish import release

PUBLISH_DEPS = [AssetKey(["reports", "national_report"])]


@asset(
    key=["published", "warehouse"],
    group_name="publish",
    compute_kind="duckdb",
    deps=PUBLISH_DEPS,
    description=(
        "data/warehouse.duckdb: a fresh copy of the ref, marts and audit schemas, built beside the published "
        "file and renamed over it atomically. Only runs when every blocking quality check upstream passed."
    ),
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    rel = release.publish(paths.build_db(), run_id=context.run_id)
    context.log.info("published release %s -> %s", rel.release_id, paths.published_db())
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(paths.published_db())),
            "release_id": rel.release_id,
            "release_file": MetadataValue.path(str(rel.path)),
            "bytes": rel.bytes,
            "tables": MetadataValue.json(rel.tables),
        }
    )
