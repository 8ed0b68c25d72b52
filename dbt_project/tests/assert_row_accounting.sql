-- Every file: rows received = loaded + quarantined, and the quarantine table holds exactly the quarantined rows.
with files as (
    select * from {{ ref('stg_submission_files') }}
),

quarantined as (
    select file_id, count(distinct coalesce(sheet, '') || ':' || row_number) as rows_in_quarantine
    from {{ source('audit', 'quarantine_rows') }}
    group by file_id
),

loaded as (
    select file_id, count(*) as rows_in_raw from {{ ref('stg_submission_rows') }} group by file_id
)

select files.file_name, files.rows_received, files.rows_loaded, files.rows_quarantined
from files
left join quarantined using (file_id)
left join loaded using (file_id)
where files.rows_received <> files.rows_loaded + files.rows_quarantined
   or coalesce(quarantined.rows_in_quarantine, 0) <> files.rows_quarantined
   or coalesce(loaded.rows_in_raw, 0) <> files.rows_loaded
