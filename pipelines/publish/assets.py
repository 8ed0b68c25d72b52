"""The publish step: after the gate and the reports, swap a fresh analysts' file in atomically."""

import json

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines import paths
from pipelines.publish import release
from pipelines.transform.project import MANIFEST_PATH

REPORT_KEYS = [AssetKey(["reports", "national_report"])]


def published_model_keys() -> list[AssetKey]:
    """Every dbt model in a published schema: a blocking check failing on any of them stops the publish."""
    manifest = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return sorted(
        (AssetKey([n["schema"], n["name"]]) for n in manifest["nodes"].values()
         if n["resource_type"] == "model" and n["schema"] in release.PUBLISHED_SCHEMAS),
        key=lambda k: k.to_user_string(),
    )


@asset(
    key=["published", "warehouse"],
    group_name="publish",
    compute_kind="duckdb",
    deps=REPORT_KEYS + [AssetKey(["raw", "submission_rows"])] + published_model_keys(),
    description=(
        "data/warehouse.duckdb: the ref, marts and audit schemas of the build database, as a new release file "
        "built beside the published one (a copy of the newest release with the changed tables and source files "
        "replaced, checked against the build database; or a full copy) and renamed over it atomically. Depends "
        "on every published model and the reports, so it only runs when every blocking quality check on them "
        "passed."
    ),
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    rel = release.publish(paths.build_db(), run_id=context.run_id)
    context.log.info("published release %s (%s%s) -> %s", rel.release_id, rel.built_as,
                     f" from {rel.base_release_id}" if rel.base_release_id else "", paths.published_db())
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(paths.published_db())),
            "release_id": rel.release_id,
            "release_file": MetadataValue.path(str(rel.path)),
            "built_as": rel.built_as,
            "base_release_id": rel.base_release_id or "",
            "tables_changed": MetadataValue.json(list(rel.changed)),
            "source_files_replaced": MetadataValue.json(rel.files_replaced),
            "bytes": rel.bytes,
            "tables": MetadataValue.json(rel.tables),
            "rows_total": MetadataValue.int(sum(rel.tables.values())),
        }
    )
