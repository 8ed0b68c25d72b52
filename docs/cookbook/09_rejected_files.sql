-- question: Which submitted files were rejected as a whole, and why (so the province can be asked to resend)?
select received_at,
       file_name,
       format,
       province_code,
       period,
       rows_received,
       reason,
       archive_path
from audit.submission_files
where status = 'rejected'
order by received_at desc;
