-- question: Do national totals agree between the legacy 63-province view and the back-cast 34-province view, month by month?
select period,
       count(*) filter (where geography = 'legacy_63') as provinces_legacy_view,
       count(*) filter (where geography = 'v2025_34') as provinces_2025_view,
       bool_or(geography = 'v2025_34' and source_map_version = 'legacy_63') as is_backcast,
       round(sum(officers_total) filter (where geography = 'legacy_63'), 2) as officers_legacy_view,
       round(sum(officers_total) filter (where geography = 'v2025_34'), 2) as officers_2025_view,
       round(sum(units_reported) filter (where geography = 'legacy_63'), 2) as units_reported_legacy_view,
       round(sum(units_reported) filter (where geography = 'v2025_34'), 2) as units_reported_2025_view,
       round(sum(investigators_total) filter (where geography = 'legacy_63'), 2) as investigators_legacy_view,
       round(sum(investigators_total) filter (where geography = 'v2025_34'), 2) as investigators_2025_view
from marts.mart_province_staffing
group by period
order by period;
