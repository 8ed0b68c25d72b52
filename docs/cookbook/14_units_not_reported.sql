-- question: Which commune-level units of the reference did a reporting province leave out of its latest report (no row loaded: not sent, or quarantined)?
-- (the latest period per province comes from the small province x period mart, and only those periods' rows of
--  the unit-level fact are read)
with latest as (
    select map_version, province_code, max(period) as period
    from marts.mart_facility_summary
    group by all
),
reported as (
    select f.commune_sk, f.period
    from marts.fct_staffing_snapshot f
    semi join latest l on l.map_version = f.map_version and l.province_code = f.province_code and l.period = f.period
)
select l.map_version,
       l.province_code,
       l.period,
       d.commune_code,
       d.commune_name,
       d.unit_type,
       d.district_code
from latest l
join ref.dim_commune d on d.map_version = l.map_version and d.province_code = l.province_code
where not exists (select 1 from reported r where r.commune_sk = d.commune_sk and r.period = l.period)
order by l.map_version, l.province_code, d.commune_code;
