-- Every legacy unit's allocation weights (area and default) sum to 1.
select legacy_unit_id, sum(weight) as w, sum(weight_default) as wd
from {{ ref('bridge_commune_2025') }}
group by legacy_unit_id
having abs(sum(weight) - 1) > 1e-9 or abs(sum(weight_default) - 1) > 1e-9
