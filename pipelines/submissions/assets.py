"""Dagster wrapper: ingest whatever is new in the landing zone as one batch (logic in ingest.py)."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.resources import TRANSIENT_RETRY
from pipelines import paths, rebuild, warehouse

REFERENCE_DEPS = [AssetKey(["raw", "admin_units_legacy"]), AssetKey(["raw", "admin_units_2025"])]


@multi_asset(
    specs=[
        AssetSpec(["raw", "submission_rows"], group_name="submissions", kinds={"python", "duckdb"},
                  deps=REFERENCE_DEPS,
                  description="Loaded rows of every province submission file (one row per unit), typed."),
        AssetSpec(["audit", "submission_files"], group_name="submissions", kinds={"duckdb"}, deps=REFERENCE_DEPS,
                  description="One row per file ever received: hash, province, period, status "
                              "(accepted/rejected/superseded), rows received/loaded/quarantined, reason."),
        AssetSpec(["audit", "quarantine_rows"], group_name="submissions", kinds={"duckdb"}, deps=REFERENCE_DEPS,
                  description="Every quarantined cell or row: file, sheet, row number, column, raw value, reason."),
        AssetSpec(["audit", "ingest_batches"], group_name="submissions", kinds={"duckdb"}, deps=REFERENCE_DEPS,
                  description="One row per ingest batch with its file and row counts."),
    ],
    name="ingest_submissions",
    retry_policy=TRANSIENT_RETRY,
)
def ingest_submissions(context: AssetExecutionContext):
    """Archive and load every new submission file under RAW_INPUTS_DIR/submissions as one batch."""
    source = rebuild.submissions_source()
    with warehouse.connect() as con:
        batch, replayed = rebuild.ingest_landing(con, source, paths.submissions_dir(), context.log)
        totals = con.execute(
            "select count(*), coalesce(sum(rows_received), 0), coalesce(sum(rows_loaded), 0), "
            "coalesce(sum(rows_quarantined), 0) from audit.submission_files").fetchall()[0]
    context.log.info("batch %s: %s new files (%s accepted, %s rejected), rows %s = %s loaded + %s quarantined",
                     batch.batch_id, batch.files_new, batch.files_accepted, batch.files_rejected,
                     batch.rows_received, batch.rows_loaded, batch.rows_quarantined)
    for name, reason in list(batch.rejected.items())[:20]:
        context.log.warning("rejected %s: %s", name, reason)
    common = {
        "batch_id": batch.batch_id,
        "files_new": MetadataValue.int(batch.files_new),
        "files_accepted": MetadataValue.int(batch.files_accepted),
        "files_rejected": MetadataValue.int(batch.files_rejected),
        "files_superseded": MetadataValue.int(batch.files_superseded),
        "rows_received": MetadataValue.int(batch.rows_received),
        "rows_loaded": MetadataValue.int(batch.rows_loaded),
        "rows_quarantined": MetadataValue.int(batch.rows_quarantined),
        "files_total": MetadataValue.int(totals[0]),
        "rows_received_total": MetadataValue.int(totals[1]),
        "rows_loaded_total": MetadataValue.int(totals[2]),
        "rows_quarantined_total": MetadataValue.int(totals[3]),
        "files_rebuilt_from_archive": MetadataValue.int(replayed.files),
    }
    if batch.rejected:
        common["rejected_files"] = MetadataValue.json(dict(list(batch.rejected.items())[:50]))
    for key in (["raw", "submission_rows"], ["audit", "submission_files"], ["audit", "quarantine_rows"],
                ["audit", "ingest_batches"]):
        yield MaterializeResult(asset_key=key, metadata=common)
