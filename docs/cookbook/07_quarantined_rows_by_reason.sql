-- question: Why were rows of one province (here Nam Định, legacy code 36) quarantined instead of loaded, by month and reason?
with params as (
    select 'legacy_63' as map_version, '36' as province_code
)
select f.period,
       f.file_name,
       f.status as file_status,
       q.reason,
       count(*) as rows_quarantined,
       string_agg(q.row_number::varchar, ', ' order by q.row_number) as source_rows,
       any_value(q.raw_value) as example_value
from audit.quarantine_rows q
join audit.submission_files f using (file_id)
join params p on f.map_version = p.map_version and f.province_code = p.province_code
group by all
order by f.period, f.file_name, rows_quarantined desc, q.reason;
