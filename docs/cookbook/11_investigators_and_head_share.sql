-- question: How many investigators do the provinces have, what share of officers are investigators, and in what share of units is the head an investigator (figures as submitted)?
select source_map_version as map_version,
       province_code,
       province_name,
       period,
       officers_total,
       investigators_total,
       round(100 * investigators_total / nullif(officers_total, 0), 2) as pct_officers_investigators,
       round(investigators_total / nullif(units_reported, 0), 2) as investigators_per_unit,
       pct_units_head_investigator
from marts.mart_province_staffing
where geography = source_map_version
order by map_version, province_code, period;
