-- question: How many regular officers does a commune-level unit have, by unit type (xã, phường, thị trấn, đặc khu), map and month?
select map_version,
       period,
       unit_type,
       count(*) as units,
       sum(regular_officers) as officers,
       round(avg(regular_officers), 2) as officers_per_unit,
       median(regular_officers) as median_officers,
       min(regular_officers) as min_officers,
       max(regular_officers) as max_officers
from marts.fct_staffing_snapshot
group by all
order by map_version, period, unit_type;
