-- question: How many regular officers does a commune-level unit have, by unit type (xã, phường, thị trấn, đặc khu), map and month?
-- (precomputed in marts.mart_unit_type_staffing from marts.fct_staffing_snapshot, where the same figures are a
--  group by over every unit-month row)
select map_version,
       period,
       unit_type,
       units,
       officers,
       officers_per_unit,
       median_officers,
       min_officers,
       max_officers
from marts.mart_unit_type_staffing
order by map_version, period, unit_type;
