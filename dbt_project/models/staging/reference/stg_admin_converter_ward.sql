with source as (
    select * from {{ source('raw', 'admin_converter_ward') }}
)

select
    new_province_key,
    legacy_key            as legacy_unit_key,
    new_ward_key          as new_commune_key,
    is_divided            as is_split,
    is_default            as is_default_target,
    new_ward_area_km2     as target_area_km2
from source
