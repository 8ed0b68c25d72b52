-- A legacy unit's 2025 targets lie in the 2025 province its legacy province merged into.
select bridge.bridge_id
from {{ ref('bridge_commune_2025') }} as bridge
inner join {{ ref('bridge_province_2025') }} as provinces
    on provinces.legacy_province_code = bridge.legacy_province_code
where provinces.new_province_code <> bridge.new_province_code
