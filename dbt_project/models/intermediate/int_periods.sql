-- Every reporting month from the first to the last submitted period, with its map and deadline.
with bounds as (
    select min(period_start) as first_period, max(period_start) as last_period
    from {{ ref('stg_submission_files') }}
    where period_start is not null
)

select
    strftime(month_start, '%Y-%m')                                               as period,
    cast(month_start as date)                                                    as period_start,
    case when month_start < cast('{{ var("reform_date") }}' as date) then 'legacy_63' else 'v2025_34' end
                                                                                 as map_version,
    -- due by the 5th of the next month, end of day in Vietnam (documented in raw_inputs/README.md)
    timezone('Asia/Ho_Chi_Minh', cast(month_start + interval 1 month + interval 5 day as timestamp))
                                                                                 as deadline_at
from bounds, range(first_period, last_period + interval 1 day, interval 1 month) as t(month_start)
