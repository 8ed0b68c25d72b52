"""Dagster wrapper: ingest whatever news is new in the landing zone as one batch (logic in ingest.py)."""

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.resources import TRANSIENT_RETRY
from pipelines import paths, rebuild, warehouse


@multi_asset(
    specs=[
        AssetSpec(["raw", "news_articles"], group_name="news", kinds={"python", "duckdb"},
                  description="One row per distinct news article (article_id = hash of the normalized text): "
                              "source file, url, title, published date, detected province, NFC text. An article "
                              "with the same url or text as one already loaded is not loaded again."),
        AssetSpec(["raw", "news_claims"], group_name="news", kinds={"python", "duckdb"},
                  description="Staffing and facility figures stated by the articles (metric catalog codes), with "
                              "value, denominator, unit type, qualifier, as-of date and the evidence span "
                              "(start_offset/end_offset into the article text)."),
        AssetSpec(["audit", "news_files"], group_name="news", kinds={"duckdb"},
                  description="One row per news file ever received: hash, archive path, status "
                              "(accepted/rejected), articles received/loaded/duplicate, claims, reason."),
    ],
    name="ingest_news",
    retry_policy=TRANSIENT_RETRY,
)
def ingest_news(context: AssetExecutionContext):
    """Archive every new news file under RAW_INPUTS_DIR/news, load its new articles and their claims."""
    source = rebuild.news_source()
    with warehouse.connect() as con:
        batch, replayed = rebuild.ingest_landing(con, source, paths.news_dir(), context.log)
        totals = con.execute("""
            select (select count(*) from audit.news_files),
                   (select count(*) from audit.news_files where status = 'rejected'),
                   (select count(*) from raw.news_articles),
                   (select count(*) from raw.news_claims)
        """).fetchone()
    context.log.info("batch %s: %s new news files (%s rejected), articles %s = %s loaded + %s duplicate, %s claims",
                     batch.batch_id, batch.files_new, batch.files_rejected, batch.articles_received,
                     batch.articles_loaded, batch.articles_duplicate, batch.claims_extracted)
    for name, reason in list(batch.rejected.items())[:20]:
        context.log.warning("rejected %s: %s", name, reason)
    metadata = {
        "batch_id": batch.batch_id,
        "files_seen": MetadataValue.int(batch.files_seen),
        "files_new": MetadataValue.int(batch.files_new),
        "files_accepted": MetadataValue.int(batch.files_accepted),
        "files_rejected": MetadataValue.int(batch.files_rejected),
        "articles_received": MetadataValue.int(batch.articles_received),
        "articles_loaded": MetadataValue.int(batch.articles_loaded),
        "articles_duplicate": MetadataValue.int(batch.articles_duplicate),
        "claims_extracted": MetadataValue.int(batch.claims_extracted),
        "files_total": MetadataValue.int(totals[0]),
        "files_rejected_total": MetadataValue.int(totals[1]),
        "articles_total": MetadataValue.int(totals[2]),
        "claims_total": MetadataValue.int(totals[3]),
        "files_rebuilt_from_archive": MetadataValue.int(replayed.files),
    }
    if batch.rejected:
        metadata["rejected_files"] = MetadataValue.json(dict(list(batch.rejected.items())[:50]))
    for key in (["raw", "news_articles"], ["raw", "news_claims"], ["audit", "news_files"]):
        yield MaterializeResult(asset_key=key, metadata=metadata)
