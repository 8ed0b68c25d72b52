-- question: Which commune-level units of the reference did a reporting province leave out of its latest report (no row loaded: not sent, or quarantined)?
with latest as (
    select map_version, province_code, max(period) as period
    from marts.fct_staffing_snapshot
    group by all
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
where not exists (
    select 1
    from marts.fct_staffing_snapshot f
    where f.commune_sk = d.commune_sk and f.period = l.period
)
order by l.map_version, l.province_code, d.commune_code;
