-- Legacy province -> the 2025 province it merged into (the 2025 reform merged provinces whole).
with converter as (
    select * from {{ ref('stg_admin_converter_province') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
)

select
    legacy.province_code                  as legacy_province_code,
    legacy.province_name                  as legacy_province_name,
    current_map.province_code             as new_province_code,
    current_map.province_name             as new_province_name,
    legacy.commune_level_unit_count       as legacy_unit_count
from converter
inner join provinces as legacy
    on legacy.map_version = 'legacy_63' and legacy.province_key = converter.legacy_province_key
inner join provinces as current_map
    on current_map.map_version = 'v2025_34' and current_map.province_key = converter.new_province_key
