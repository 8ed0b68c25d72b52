-- Every legacy unit -> the 2025 unit(s) it became, with allocation weights summing to 1 per legacy unit.
-- A split legacy unit (is_split) is shared between its targets in proportion to the targets' areas
-- (`weight`, the dataset gives only the target units' areas, not the overlapping parts) or wholly to the
-- dataset's default target (`weight_default`). The 5 island districts without a commune level are kept
-- as legacy units of their own (legacy_unit_id 'D' || district code), so island đặc khu have a source.
with legacy as (
    select * from {{ ref('stg_admin_units_legacy') }}
),

current_map as (
    select * from {{ ref('stg_admin_units_2025') }}
),

converter as (
    select * from {{ ref('stg_admin_converter_ward') }}
),

pairs as (
    select
        coalesce(legacy.commune_code, 'D' || legacy.district_code)      as legacy_unit_id,
        legacy.commune_code                                             as legacy_commune_code,
        legacy.district_code                                            as legacy_district_code,
        legacy.province_code                                            as legacy_province_code,
        current_map.commune_code                                        as new_commune_code,
        current_map.province_code                                       as new_province_code,
        converter.is_split,
        converter.is_default_target,
        coalesce(converter.target_area_km2, current_map.area_km2)       as target_area_km2
    from converter
    inner join legacy on legacy.legacy_unit_key = converter.legacy_unit_key
    inner join current_map
        on current_map.province_key = converter.new_province_key
        and current_map.commune_key = converter.new_commune_key
)

select
    legacy_unit_id || '>' || new_commune_code                           as bridge_id,
    legacy_unit_id,
    legacy_commune_code,
    'legacy_63:' || legacy_commune_code                                 as legacy_commune_sk,
    legacy_district_code,
    legacy_province_code,
    new_commune_code,
    'v2025_34:' || new_commune_code                                     as new_commune_sk,
    new_province_code,
    is_split,
    is_default_target,
    target_area_km2,
    case
        when not is_split then 1.0
        when sum(target_area_km2) over (partition by legacy_unit_id) > 0
            then target_area_km2 / sum(target_area_km2) over (partition by legacy_unit_id)
        else 1.0 / count(*) over (partition by legacy_unit_id)
    end                                                                 as weight,
    case when is_default_target then 1.0 else 0.0 end                   as weight_default,
    count(*) over (partition by legacy_unit_id)                         as target_count
from pairs
