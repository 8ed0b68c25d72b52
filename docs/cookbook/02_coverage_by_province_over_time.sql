-- question: How did regular-police coverage of communes develop per province and month, in the legacy 63-province view and in the 2025 34-province view?
select geography,
       province_code,
       province_name,
       period,
       source_map_version,
       source_map_version <> geography as is_backcast,
       units_expected,
       units_reported,
       units_with_regular_police,
       coverage_pct,
       source_provinces_reported,
       source_provinces_expected
from marts.mart_province_staffing
order by geography, province_code, period;
