{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{% if is_incremental() %}delete from {{ this }} where (map_version, province_code) in ({{ outlier_provinces_to_redo() }}){% endif %}",
    post_hook="create or replace table {{ outlier_inputs_relation() }} as select map_version, province_code, source_file_id, count(*) as row_count from {{ ref('fct_staffing_snapshot') }} group by all"
) }}
-- Units whose figures are implausible or jump sharply between consecutive submitted periods (same map).
-- One row per unit, period and rule hit.
-- Incremental by province: a rule looks at a unit's own history (the previous submitted period of the same
-- commune_sk, which belongs to one province of one map), so only the provinces whose fact rows changed since the
-- last build are recomputed. The post-hook records which files (and how many rows of each) the facts held at
-- this build in a table beside the staging views; the next build redoes every province whose files differ
-- from that record (new, superseded or removed files), deleting its rows first (pre-hook) and appending the
-- recomputed ones. No record (a first or full build) means every province. At 10 years one new province file
-- recomputes about 1 % of the 1.1 M fact rows instead of all of them (1.6 s).
with facts as (
    select * from {{ ref('fct_staffing_snapshot') }}
    {% if is_incremental() %}
    where (map_version, province_code) in ({{ outlier_provinces_to_redo() }})
    {% endif %}
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
