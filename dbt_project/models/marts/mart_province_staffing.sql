-- Province x period staffing in two geographies:
--   geography = 'legacy_63': legacy periods in the 63-province map, as submitted;
--   geography = 'v2025_34' : 2025 periods as submitted, plus legacy periods back-cast to today's 34 provinces
--                            through ref.bridge_commune_2025 (weighted; totals preserved).
-- units_expected is the reference's unit count for the province (in the back-cast: the legacy units of
-- the merged provinces), so coverage is over all units, not only those reported.
with legacy_facts as (
    select * from {{ ref('fct_staffing_snapshot') }} where map_version = 'legacy_63'
),

facts_2025_map as (
    select * from {{ ref('int_staffing_2025_map') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

province_bridge as (
    select * from {{ ref('bridge_province_2025') }}
),

legacy_view as (
    select
        'legacy_63'                                                     as geography,
        'legacy_63'                                                     as source_map_version,
        province_code,
        period,
        any_value(period_start)                                         as period_start,
        count(*)                                                        as units_reported,
        count(*) filter (where has_regular_police)                      as units_with_regular_police,
        sum(regular_officers)                                           as officers_total,
        sum(semi_professional_officers)                                 as semi_professional_total,
        sum(heads)                                                      as heads_total,
        sum(deputies)                                                   as deputies_total,
        sum(ca_vien)                                                    as ca_vien_total,
        sum(investigators)                                              as investigators_total,
        count(*) filter (where head_is_investigator)                    as units_head_investigator,
        sum(officers_trained)                                           as officers_trained,
        count(distinct province_code)                                   as source_provinces_reported
    from legacy_facts
    group by province_code, period
),

view_2025 as (
    select
        'v2025_34'                                                      as geography,
        any_value(source_map_version)                                   as source_map_version,
        province_code,
        period,
        any_value(period_start)                                         as period_start,
        sum(weight)                                                     as units_reported,
        sum(weight) filter (where has_regular_police)                   as units_with_regular_police,
        sum(weight * regular_officers)                                  as officers_total,
        sum(weight * semi_professional_officers)                        as semi_professional_total,
        sum(weight * heads)                                             as heads_total,
        sum(weight * deputies)                                          as deputies_total,
        sum(weight * ca_vien)                                           as ca_vien_total,
        sum(weight * investigators)                                     as investigators_total,
        sum(weight) filter (where head_is_investigator)                 as units_head_investigator,
        sum(weight * officers_trained)                                  as officers_trained,
        count(distinct source_province_code)                            as source_provinces_reported
    from facts_2025_map
    group by province_code, period
),

combined as (
    select * from legacy_view
    union all
    select * from view_2025
),

expected as (
    -- units and source provinces behind each province of each geography
    select 'legacy_63' as geography, 'legacy_63' as source_map_version, province_code,
           commune_level_unit_count as units_expected, 1 as source_provinces_expected
    from provinces where map_version = 'legacy_63'
    union all
    select 'v2025_34', 'v2025_34', province_code, commune_level_unit_count, 1
    from provinces where map_version = 'v2025_34'
    union all
    select 'v2025_34', 'legacy_63', new_province_code, sum(legacy_unit_count), count(*)
    from province_bridge group by new_province_code
)

select
    combined.geography || ':' || combined.province_code || '@' || combined.period   as province_period_id,
    combined.geography,
    combined.source_map_version,
    combined.province_code,
    provinces.province_name,
    combined.period,
    combined.period_start,
    cast(expected.units_expected as bigint)                                         as units_expected,
    round(combined.units_reported, 6)                                               as units_reported,
    round(combined.units_with_regular_police, 6)                                    as units_with_regular_police,
    round(100.0 * combined.units_with_regular_police / nullif(expected.units_expected, 0), 2)
                                                                                    as coverage_pct,
    round(combined.officers_total, 6)                                               as officers_total,
    round(combined.officers_total / nullif(combined.units_reported, 0), 2)          as officers_per_unit,
    round(combined.semi_professional_total, 6)                                      as semi_professional_total,
    round(combined.heads_total, 6)                                                  as heads_total,
    round(combined.deputies_total, 6)                                               as deputies_total,
    round(combined.ca_vien_total, 6)                                                as ca_vien_total,
    round(combined.investigators_total, 6)                                          as investigators_total,
    round(100.0 * coalesce(combined.units_head_investigator, 0) / nullif(combined.units_reported, 0), 2)
                                                                                    as pct_units_head_investigator,
    round(combined.officers_trained, 6)                                             as officers_trained,
    round(100.0 * combined.officers_trained / nullif(combined.officers_total, 0), 2) as pct_trained,
    combined.source_provinces_reported,
    expected.source_provinces_expected
from combined
inner join expected
    on expected.geography = combined.geography
    and expected.source_map_version = combined.source_map_version
    and expected.province_code = combined.province_code
inner join provinces
    on provinces.map_version = combined.geography and provinces.province_code = combined.province_code
