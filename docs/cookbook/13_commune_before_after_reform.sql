-- question: For each 2025 commune of one province (here Hưng Yên, 2025 code 33), how many officers did its area have in June 2025 (its legacy units, weighted through the bridge) and in July 2025? Communes whose legacy units all reported come first.
with params as (
    select '33' as province_code_2025, '2025-06' as before_period, '2025-07' as after_period
),
before as (
    select b.new_commune_sk as commune_sk,
           count(*) as legacy_units,
           count(f.snapshot_id) as legacy_units_reported,
           sum(b.weight * f.regular_officers) as officers_before
    from ref.bridge_commune_2025 b
    join params p on b.new_province_code = p.province_code_2025
    left join marts.fct_staffing_snapshot f
        on f.commune_sk = b.legacy_commune_sk and f.period = p.before_period
    group by all
),
after as (
    select f.commune_sk, f.regular_officers as officers_after
    from marts.fct_staffing_snapshot f
    join params p on f.map_version = 'v2025_34' and f.province_code = p.province_code_2025
        and f.period = p.after_period
)
select d.commune_code,
       d.commune_name,
       d.unit_type,
       b.legacy_units,
       b.legacy_units_reported,
       round(b.officers_before, 1) as officers_before,
       a.officers_after,
       round(a.officers_after - b.officers_before, 1) as change
from ref.dim_commune d
join params p on d.map_version = 'v2025_34' and d.province_code = p.province_code_2025
left join before b using (commune_sk)
left join after a using (commune_sk)
order by b.legacy_units_reported = b.legacy_units desc, abs(change) desc nulls last, d.commune_code;
