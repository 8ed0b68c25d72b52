"""Report assets: the HTML report set and the officials' workbook, written after the marts (and their blocking
quality checks) succeed. The logic lives in pipelines/reports/build.py; this is a thin wrapper."""

import json
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.resources import TRANSIENT_RETRY
from pipelines import paths, warehouse
from pipelines.reports.build import write_reports
from pipelines.transform.project import MANIFEST_PATH

HTML_KEY = AssetKey(["reports", "national_report"])
XLSX_KEY = AssetKey(["reports", "xlsx_report"])
MART_DEPS = [
    AssetKey(["marts", "mart_province_staffing"]),
    AssetKey(["marts", "mart_facility_summary"]),
    AssetKey(["marts", "mart_submission_completeness"]),
    AssetKey(["marts", "mart_staffing_outliers"]),
    AssetKey(["ref", "dim_province"]),
    AssetKey(["ref", "bridge_province_2025"]),
]
# News marts: a dependency only once the dbt project has them, so reports wait for them when they exist.
OPTIONAL_MART_DEPS = [
    AssetKey(["marts", "mart_claim_reconciliation"]),
    AssetKey(["marts", "fct_news_claim"]),
    AssetKey(["marts", "dim_news_article"]),
]


def _dbt_keys() -> set[AssetKey]:
    """schema/model keys of the dbt models in the prepared manifest (empty when it is missing)."""
    try:
        manifest = json.loads(Path(MANIFEST_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {AssetKey([n["schema"], n["name"]]) for n in manifest.get("nodes", {}).values()
            if n.get("resource_type") == "model"}


def report_deps() -> list[AssetKey]:
    """The marts the reports read, plus the news marts when the dbt project defines them."""
    known = _dbt_keys()
    return MART_DEPS + [key for key in OPTIONAL_MART_DEPS if key in known]


@multi_asset(
    name="reports",
    retry_policy=TRANSIENT_RETRY,
    specs=[
        AssetSpec(HTML_KEY, group_name="reports", kinds={"html"}, deps=report_deps(),
                  description=("HTML reports: index.html, a national page and one page per province for the "
                               "legacy 63-province view and the 2025 34-province view (self-contained, inline SVG "
                               "charts, Vietnamese labels).")),
        AssetSpec(XLSX_KEY, group_name="reports", kinds={"xlsx"}, deps=report_deps(),
                  description=("bao_cao_cong_an_xa.xlsx for officials: national summary per view, provinces at "
                               "the latest period, submission completeness, HQ status, outliers, news-claim "
                               "conflicts (formula-safe text cells).")),
    ],
)
def national_report(context: AssetExecutionContext):
    """Write the report set from the build database (read-only) into data/reports/."""
    with warehouse.connect(read_only=True) as con:
        written = write_reports(con, paths.reports_dir())
    context.log.info("wrote %s HTML pages and %s", len(written.html_paths), written.xlsx)
    counts = {name: MetadataValue.int(value) for name, value in written.counts.items()}
    latest = {f"latest_period_{view}": period or "" for view, period in written.latest_periods.items()}
    yield MaterializeResult(
        asset_key=HTML_KEY,
        metadata={
            "index": MetadataValue.path(str(written.index)),
            **{f"national_{view}": MetadataValue.path(str(path)) for view, path in written.national.items()},
            "out_dir": MetadataValue.path(str(written.out_dir)),
            **counts,
            **latest,
            "claims_available": written.claims_available,
            "preview": MetadataValue.md(written.preview_md),
        },
    )
    yield MaterializeResult(
        asset_key=XLSX_KEY,
        metadata={
            "path": MetadataValue.path(str(written.xlsx)),
            "bytes": MetadataValue.int(written.xlsx.stat().st_size),
            **latest,
            "preview": MetadataValue.md(written.preview_md),
        },
    )
