with source as (
    select * from {{ source('raw_news', 'news_articles') }}
)

select
    article_id,
    file_id,
    source_file,
    source_index,
    url,
    title,
    published,
    province                                                   as province_short_name,
    province_code,
    text                                                       as article_text,
    ingested_at,
    ingest_batch_id
from source
