-- Units whose figures are implausible or jump sharply between consecutive submitted periods (same map).
-- One row per unit, period and rule hit.
with facts as (
    select * from {{ ref('fct_staffing_snapshot') }}
),

with_previous as (
    select
        facts.*,
        lag(regular_officers) over unit_history                   as previous_officers,
        lag(period) over unit_history                             as previous_period,
        lag(has_regular_police) over unit_history                 as previous_has_regular_police
    from facts
    window unit_history as (partition by commune_sk order by period_start)
),

rules as (
    select *, 'officers_jump' as rule,
        'regular officers ' || previous_officers || ' -> ' || regular_officers || ' since ' || previous_period
            as detail
    from with_previous
    where previous_officers is not null
      and abs(regular_officers - previous_officers) >= greatest(5, 0.5 * previous_officers)
    union all
    select *, 'lost_regular_police',
        'had regular police in ' || previous_period || ', none now'
    from with_previous
    where previous_has_regular_police and not has_regular_police
    union all
    select *, 'officers_high_for_unit_type',
        regular_officers || ' regular officers in a ' || unit_type
    from with_previous
    where (unit_type in ('xã', 'thị trấn') and regular_officers > 25)
       or (unit_type in ('phường', 'đặc khu') and regular_officers > 60)
    union all
    select *, 'no_head_with_officers',
        regular_officers || ' regular officers but no head'
    from with_previous
    where regular_officers > 0 and heads = 0
)

select
    snapshot_id || '#' || rule                                    as outlier_id,
    snapshot_id,
    rule,
    detail,
    period,
    map_version,
    province_code,
    unit_code,
    commune_sk,
    unit_name,
    unit_type,
    regular_officers,
    previous_officers,
    previous_period,
    source_file_name,
    source_row_number
from rules
