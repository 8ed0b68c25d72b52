-- question: Which provinces are late, missing or only sent rejected files for the latest reporting month?
select period,
       map_version,
       province_code,
       province_name,
       submission_status,
       days_late,
       files_received,
       files_rejected,
       deadline_at,
       first_accepted_at
from marts.mart_submission_completeness
where period = (select max(period) from marts.mart_submission_completeness)
  and submission_status <> 'on_time'
order by case submission_status when 'rejected' then 1 when 'missing' then 2 else 3 end, province_code;
