-- Back-casting legacy periods to the 2025 map preserves national totals (within rounding).
with legacy as (
    select period, sum(officers_total) as officers, sum(units_reported) as units
    from {{ ref('mart_province_staffing') }}
    where geography = 'legacy_63'
    group by period
),

backcast as (
    select period, sum(officers_total) as officers, sum(units_reported) as units
    from {{ ref('mart_province_staffing') }}
    where geography = 'v2025_34' and source_map_version = 'legacy_63'
    group by period
)

select legacy.period, legacy.officers, backcast.officers as backcast_officers
from legacy
full outer join backcast on backcast.period = legacy.period
where abs(coalesce(legacy.officers, 0) - coalesce(backcast.officers, 0)) > 0.001
   or abs(coalesce(legacy.units, 0) - coalesce(backcast.units, 0)) > 0.001
