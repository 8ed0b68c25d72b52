-- Regular officers per commune-level unit by unit type, map and month: the national distribution behind cookbook
-- query 10, precomputed because a median over the ~1.1 M unit-month rows of ten years costs ~50 ms per query;
-- this table has a few hundred rows. Each period in the map it was submitted in (no back-cast).
select
    map_version,
    period,
    unit_type,
    count(*)                                    as units,
    cast(sum(regular_officers) as bigint)       as officers,
    round(avg(regular_officers), 2)             as officers_per_unit,
    median(regular_officers)                    as median_officers,
    min(regular_officers)                       as min_officers,
    max(regular_officers)                       as max_officers
from {{ ref('fct_staffing_snapshot') }}
group by map_version, period, unit_type
