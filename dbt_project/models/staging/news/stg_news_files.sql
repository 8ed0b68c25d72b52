with source as (
    select * from {{ source('news_audit', 'news_files') }}
)

select
    file_id,
    file_name,
    landing_path,
    archive_path,
    size_bytes,
    format,
    status,
    articles_received,
    articles_loaded,
    articles_duplicate,
    claims_extracted,
    reason,
    ingested_at,
    ingest_batch_id
from source
