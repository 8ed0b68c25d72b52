with legacy as (
    select * from {{ ref('stg_admin_units_legacy') }}
)

select
    district_code,
    'legacy_63'                                                  as map_version,
    any_value(district_name)                                     as district_name,
    any_value(district_short_name)                               as district_short_name,
    any_value(district_type)                                     as district_type,
    any_value(district_key)                                      as district_key,
    any_value(province_code)                                     as province_code,
    any_value(district_latitude)                                 as latitude,
    any_value(district_longitude)                                as longitude,
    count(commune_code)                                          as commune_level_unit_count,
    count(commune_code) > 0                                      as has_commune_level,
    cast('{{ var("legacy_map_valid_from") }}' as date)           as valid_from,
    cast('{{ var("reform_date") }}' as date) - 1                 as valid_to
from legacy
group by district_code
