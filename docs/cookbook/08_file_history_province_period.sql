-- question: What files did one province send for one month (here Hưng Yên 2025-07), which version is current, and which were superseded?
with params as (
    select 'v2025_34' as map_version, '33' as province_code, '2025-07' as period
)
select f.received_at,
       f.file_name,
       f.format,
       f.status,
       s.file_name as superseded_by_file,
       f.rows_received,
       f.rows_loaded,
       f.rows_quarantined,
       f.quality_status,
       f.reason,
       f.warnings,
       f.file_id
from audit.submission_files f
join params p on f.map_version = p.map_version and f.province_code = p.province_code and f.period = p.period
left join audit.submission_files s on s.file_id = f.superseded_by
order by f.received_at;
