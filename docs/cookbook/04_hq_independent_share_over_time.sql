-- question: How is the share of commune police with their own (independent) headquarters progressing, per province and over all reporting provinces, month by month?
select period,
       map_version,
       coalesce(province_name, '(all reporting provinces)') as province,
       sum(units_reported) as units_reported,
       sum(hq_independent) as hq_independent,
       sum(hq_shared_with_ppc) as hq_shared_with_ppc,
       sum(hq_under_construction) as hq_under_construction,
       sum(hq_missing) as hq_missing,
       round(100.0 * sum(hq_independent) / sum(units_reported), 2) as pct_independent
from marts.mart_facility_summary
group by grouping sets ((period, map_version, province_name), (period, map_version))
order by period, map_version, province_name nulls first;
