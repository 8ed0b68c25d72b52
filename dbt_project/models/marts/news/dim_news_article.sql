-- One row per distinct news article, with its source file, the province it is about and how many figures it states.
with articles as (
    select * from {{ ref('stg_news_articles') }}
),

files as (
    select * from {{ ref('stg_news_files') }}
),

claims as (
    select * from {{ ref('stg_news_claims') }}
),

provinces as (
    select * from {{ ref('dim_province') }} where map_version = 'legacy_63'
),

claim_counts as (
    select article_id, count(*) as claims
    from claims
    group by article_id
)

select
    articles.article_id,
    articles.url,
    articles.title,
    articles.published,
    articles.province_code,
    coalesce(provinces.province_short_name, articles.province_short_name)  as province_name,
    coalesce(claim_counts.claims, 0)                                        as claims,
    length(articles.article_text)                                           as text_length,
    articles.article_text,
    articles.file_id                                                        as source_file_id,
    articles.source_file                                                    as source_file_name,
    articles.source_index,
    files.archive_path                                                      as source_archive_path,
    articles.ingested_at,
    articles.ingest_batch_id
from articles
left join files on files.file_id = articles.file_id
left join provinces on provinces.province_code = articles.province_code
left join claim_counts on claim_counts.article_id = articles.article_id
