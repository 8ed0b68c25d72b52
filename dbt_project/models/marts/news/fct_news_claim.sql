-- One row per figure stated by a news article, with the article's province (legacy code), its dates and the map
-- in force at the as-of date. evidence = article text[start_offset:end_offset].
with claims as (
    select * from {{ ref('stg_news_claims') }}
),

articles as (
    select * from {{ ref('stg_news_articles') }}
),

provinces as (
    select * from {{ ref('dim_province') }} where map_version = 'legacy_63'
)

select
    claims.claim_id,
    claims.article_id,
    articles.province_code,
    coalesce(provinces.province_short_name, articles.province_short_name)  as province_name,
    articles.published,
    claims.as_of,
    claims.as_of_date,
    case
        when claims.as_of_date < cast('{{ var("legacy_map_valid_from") }}' as date) then null
        when claims.as_of_date < cast('{{ var("reform_date") }}' as date) then 'legacy_63'
        when claims.as_of_date is not null then 'v2025_34'
    end                                                                     as map_version,
    claims.metric,
    claims.value,
    claims.denominator,
    claims.unit_type,
    claims.qualifier,
    -- "tổng cộng" (in total) is the one qualifier that does not soften the figure
    coalesce(claims.qualifier in ('gần', 'gần như', 'hơn', 'trên', 'khoảng', 'xấp xỉ', 'chừng',
                                  'ước tính', 'ít nhất', 'dưới', 'chưa đến', 'chưa tới'), false)
                                                                            as is_approximate,
    claims.evidence,
    claims.start_offset,
    claims.end_offset,
    articles.url                                                            as article_url,
    articles.source_file                                                    as source_file_name
from claims
inner join articles on articles.article_id = claims.article_id
left join provinces on provinces.province_code = articles.province_code
