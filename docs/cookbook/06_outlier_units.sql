-- question: Which units are flagged as outliers in the latest month their province reported, and by which rules?
with latest as (
    select map_version, province_code, max(period) as period
    from marts.fct_staffing_snapshot
    group by all
)
select o.map_version,
       o.province_code,
       o.period,
       o.unit_code,
       o.unit_name,
       o.unit_type,
       o.regular_officers,
       o.previous_officers,
       o.previous_period,
       string_agg(o.rule, ', ' order by o.rule) as rules,
       string_agg(o.detail, '; ' order by o.rule) as details,
       any_value(o.source_file_name) as source_file_name,
       any_value(o.source_row_number) as source_row_number
from marts.mart_staffing_outliers o
join latest l using (map_version, province_code, period)
group by all
order by count(*) desc, o.regular_officers desc, o.unit_code;
