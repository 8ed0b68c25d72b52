"""Report assets: materialized only after the blocking quality checks upstream pass."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines import paths, warehouse
from pipelines.reports import national

REPORT_DEPS = [AssetKey(["ref", "dim_province"]), AssetKey(["ref", "dim_commune"])]


@asset(
    key=["reports", "national_report"],
    group_name="reports",
    compute_kind="html",
    deps=REPORT_DEPS,
    description="National report (HTML) in the legacy 63-province and the 2025 34-province views.",
)
def national_report(context: AssetExecutionContext) -> MaterializeResult:
    out = paths.reports_dir()
    with warehouse.connect(read_only=True) as con:
        written = national.write_reports(con, out)
    context.log.info("wrote %s", [str(p) for p in written])
    return MaterializeResult(
        metadata={
            "paths": MetadataValue.json([str(p) for p in written]),
            "html": MetadataValue.path(str(written[0])),
        }
    )
