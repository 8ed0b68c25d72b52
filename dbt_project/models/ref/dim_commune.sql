with legacy as (
    select * from {{ ref('stg_admin_units_legacy') }}
    where commune_code is not null  -- 5 island districts have no commune level
),

current_map as (
    select * from {{ ref('stg_admin_units_2025') }}
),

unioned as (
    select
        'legacy_63'                                              as map_version,
        commune_code,
        commune_name,
        commune_short_name,
        unit_type,
        district_code,
        province_code,
        latitude,
        longitude,
        cast(null as double)                                     as area_km2,
        cast('{{ var("legacy_map_valid_from") }}' as date)       as valid_from,
        cast('{{ var("reform_date") }}' as date) - 1             as valid_to
    from legacy
    union all
    select
        'v2025_34',
        commune_code,
        commune_name,
        commune_short_name,
        unit_type,
        cast(null as varchar),
        province_code,
        latitude,
        longitude,
        area_km2,
        cast('{{ var("reform_date") }}' as date),
        cast(null as date)
    from current_map
)

select
    map_version || ':' || commune_code                           as commune_sk,
    map_version || ':' || province_code                          as province_sk,
    *
from unioned
