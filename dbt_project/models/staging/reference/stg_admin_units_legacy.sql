with source as (
    select * from {{ source('raw', 'admin_units_legacy') }}
)

select
    "provinceCode"                                   as province_code,
    "province"                                       as province_name,
    "provinceShort"                                  as province_short_name,
    "provinceKey"                                    as province_key,
    "provinceLat"                                    as province_latitude,
    "provinceLon"                                    as province_longitude,
    "districtCode"                                   as district_code,
    "district"                                       as district_name,
    "districtShort"                                  as district_short_name,
    lower("districtType")                            as district_type,
    "districtKey"                                    as district_key,
    "districtLat"                                    as district_latitude,
    "districtLon"                                    as district_longitude,
    "wardCode"                                       as commune_code,
    "ward"                                           as commune_name,
    "wardShort"                                      as commune_short_name,
    lower("wardType")                                as unit_type,
    "wardLat"                                        as latitude,
    "wardLon"                                        as longitude,
    "provinceKey" || '_' || "districtKey" || '_' || coalesce("wardKey", '') as legacy_unit_key
from source
