-- Every legacy unit (communes and island districts) reaches the 2025 map.
select legacy.legacy_unit_key
from {{ ref('stg_admin_units_legacy') }} as legacy
left join {{ ref('bridge_commune_2025') }} as bridge
    on bridge.legacy_unit_id = coalesce(legacy.commune_code, 'D' || legacy.district_code)
where bridge.legacy_unit_id is null
