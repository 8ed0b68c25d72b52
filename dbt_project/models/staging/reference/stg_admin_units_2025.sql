with source as (
    select * from {{ source('raw', 'admin_units_2025') }}
)

select
    "provinceCode"        as province_code,
    "province"            as province_name,
    "provinceShort"       as province_short_name,
    "provinceKey"         as province_key,
    "provinceLat"         as province_latitude,
    "provinceLon"         as province_longitude,
    "wardCode"            as commune_code,
    "ward"                as commune_name,
    "wardShort"           as commune_short_name,
    lower("wardType")     as unit_type,
    "wardLat"             as latitude,
    "wardLon"             as longitude,
    "wardAreaKm2"         as area_km2,
    "wardKey"             as commune_key
from source
