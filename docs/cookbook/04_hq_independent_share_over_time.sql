-- question: How is the share of commune police with their own (independent) headquarters progressing, per province and over all reporting provinces, month by month?
-- (sums of BIGINT are HUGEINT in DuckDB; cast back to BIGINT, which clients read about twice as fast)
select period,
       map_version,
       coalesce(province_name, '(all reporting provinces)') as province,
       sum(units_reported)::bigint as units_reported,
       sum(hq_independent)::bigint as hq_independent,
       sum(hq_shared_with_ppc)::bigint as hq_shared_with_ppc,
       sum(hq_under_construction)::bigint as hq_under_construction,
       sum(hq_missing)::bigint as hq_missing,
       round(100.0 * sum(hq_independent) / sum(units_reported), 2) as pct_independent
from marts.mart_facility_summary
group by grouping sets ((period, map_version, province_name), (period, map_version))
order by period, map_version, province_name nulls first;
