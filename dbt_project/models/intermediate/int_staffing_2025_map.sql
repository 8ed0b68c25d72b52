-- Every unit-period fact expressed in the 2025 map: 2025 periods as they are, legacy periods allocated to
-- today's units through ref.bridge_commune_2025 (area weights; a split unit's counts are shared out, so
-- totals are preserved exactly and province totals, since whole provinces merged, too).
with facts as (
    select * from {{ ref('int_current_submission_rows') }}
),

bridge as (
    select * from {{ ref('bridge_commune_2025') }}
)

select
    facts.period,
    facts.period_start,
    facts.map_version                                          as source_map_version,
    bridge.new_province_code                                   as province_code,
    facts.province_code                                        as source_province_code,
    bridge.weight,
    facts.regular_officers > 0                                 as has_regular_police,
    facts.regular_officers,
    facts.heads,
    facts.deputies,
    facts.ca_vien,
    facts.investigators,
    facts.head_is_investigator,
    facts.officers_trained,
    facts.semi_professional_officers
from facts
inner join bridge on bridge.legacy_commune_code = facts.unit_code
where facts.map_version = 'legacy_63'

union all

select
    period,
    period_start,
    map_version,
    province_code,
    province_code,
    1.0,
    regular_officers > 0,
    regular_officers,
    heads,
    deputies,
    ca_vien,
    investigators,
    head_is_investigator,
    officers_trained,
    semi_professional_officers
from facts
where map_version = 'v2025_34'
