with source as (
    select * from {{ source('raw_news', 'news_claims') }}
)

select
    claim_id,
    article_id,
    metric,
    value,
    denominator,
    unit_type,
    qualifier,
    as_of,
    as_of_date,
    evidence,
    start_offset,
    end_offset,
    ingest_batch_id
from source
