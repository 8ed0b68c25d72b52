-- Province x period HQ status counts (as submitted, in the map of the period).
with facilities as (
    select * from {{ ref('fct_facility_status') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
)

select
    facilities.map_version || ':' || facilities.province_code || '@' || facilities.period as province_period_id,
    facilities.map_version,
    facilities.province_code,
    any_value(provinces.province_name)                                    as province_name,
    facilities.period,
    any_value(facilities.period_start)                                    as period_start,
    count(*)                                                              as units_reported,
    count(*) filter (where hq_status = 'doc_lap')                         as hq_independent,
    count(*) filter (where hq_status = 'chung_ubnd')                      as hq_shared_with_ppc,
    count(*) filter (where hq_status = 'dang_xay_dung')                   as hq_under_construction,
    count(*) filter (where hq_status = 'chua_co')                         as hq_missing,
    round(100.0 * count(*) filter (where hq_status = 'doc_lap') / count(*), 2) as pct_independent
from facilities
inner join provinces on provinces.province_sk = facilities.province_sk
group by facilities.map_version, facilities.province_code, facilities.period
