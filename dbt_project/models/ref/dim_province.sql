with legacy as (
    select * from {{ ref('stg_admin_units_legacy') }}
),

current_map as (
    select * from {{ ref('stg_admin_units_2025') }}
),

legacy_provinces as (
    select
        'legacy_63'                                              as map_version,
        province_code,
        any_value(province_name)                                 as province_name,
        any_value(province_short_name)                           as province_short_name,
        any_value(province_key)                                  as province_key,
        any_value(province_latitude)                             as latitude,
        any_value(province_longitude)                            as longitude,
        count(distinct district_code)                            as district_count,
        count(commune_code)                                      as commune_level_unit_count,
        cast('{{ var("legacy_map_valid_from") }}' as date)       as valid_from,
        cast('{{ var("reform_date") }}' as date) - 1             as valid_to
    from legacy
    group by province_code
),

current_provinces as (
    select
        'v2025_34'                                               as map_version,
        province_code,
        any_value(province_name)                                 as province_name,
        any_value(province_short_name)                           as province_short_name,
        any_value(province_key)                                  as province_key,
        any_value(province_latitude)                             as latitude,
        any_value(province_longitude)                            as longitude,
        0                                                        as district_count,
        count(commune_code)                                      as commune_level_unit_count,
        cast('{{ var("reform_date") }}' as date)                 as valid_from,
        cast(null as date)                                       as valid_to
    from current_map
    group by province_code
),

unioned as (
    select * from legacy_provinces
    union all
    select * from current_provinces
)

select
    map_version || ':' || province_code                          as province_sk,
    map_version,
    province_code,
    province_name,
    province_short_name,
    case when province_name like 'Thành phố %' then 'thành phố trực thuộc trung ương' else 'tỉnh' end
                                                                 as province_type,
    province_key,
    latitude,
    longitude,
    district_count,
    commune_level_unit_count,
    valid_from,
    valid_to
from unioned
