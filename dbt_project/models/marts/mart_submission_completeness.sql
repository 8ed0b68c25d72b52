-- Province x period reporting completeness and timeliness (DHIS2-style): every province of the map in
-- force is expected to report every month from the first to the last period seen; a report is on time when
-- its first accepted version arrived by the deadline (5th of the next month, end of day, Vietnam time).
with periods as (
    select * from {{ ref('int_periods') }}
),

provinces as (
    select * from {{ ref('dim_province') }}
),

files as (
    select * from {{ ref('stg_submission_files') }}
),

expected as (
    select periods.*, provinces.province_code, provinces.province_name
    from periods
    inner join provinces on provinces.map_version = periods.map_version
),

per_province_period as (
    select
        province_code,
        period,
        count(*)                                                              as files_received,
        count(*) filter (where status in ('accepted', 'superseded'))          as versions_accepted,
        count(*) filter (where status = 'rejected')                           as files_rejected,
        min(received_at) filter (where status in ('accepted', 'superseded'))  as first_accepted_at,
        max(received_at)                                                      as last_received_at,
        sum(rows_quarantined) filter (where status = 'accepted')              as rows_quarantined_current
    from files
    where period is not null
    group by province_code, period
)

select
    expected.map_version || ':' || expected.province_code || '@' || expected.period as province_period_id,
    expected.map_version,
    expected.province_code,
    expected.province_name,
    expected.period,
    expected.period_start,
    expected.deadline_at,
    1                                                                    as expected_reports,
    case when coalesce(p.versions_accepted, 0) > 0 then 1 else 0 end      as actual_reports,
    case when p.first_accepted_at <= expected.deadline_at then 1 else 0 end as on_time_reports,
    case
        when coalesce(p.versions_accepted, 0) = 0 and coalesce(p.files_rejected, 0) > 0 then 'rejected'
        when coalesce(p.versions_accepted, 0) = 0 then 'missing'
        when p.first_accepted_at <= expected.deadline_at then 'on_time'
        else 'late'
    end                                                                  as submission_status,
    case when p.first_accepted_at > expected.deadline_at
         then date_diff('day', expected.deadline_at, p.first_accepted_at) end as days_late,
    coalesce(p.files_received, 0)                                        as files_received,
    greatest(coalesce(p.versions_accepted, 0) - 1, 0)                    as resubmissions,
    coalesce(p.files_rejected, 0)                                        as files_rejected,
    p.first_accepted_at,
    p.last_received_at,
    cast(coalesce(p.rows_quarantined_current, 0) as bigint)              as rows_quarantined_current
from expected
left join per_province_period as p
    on p.province_code = expected.province_code and p.period = expected.period
