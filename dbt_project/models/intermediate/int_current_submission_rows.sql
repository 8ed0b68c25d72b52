-- Rows of the latest accepted file of each province-period (older versions are superseded, rejected files
-- load nothing). Duplicated units inside a file are quarantined at ingest, so unit x period is unique here.
with rows_loaded as (
    select * from {{ ref('stg_submission_rows') }}
),

files as (
    select * from {{ ref('stg_submission_files') }}
)

select
    rows_loaded.*,
    files.file_name,
    files.received_at
from rows_loaded
inner join files on files.file_id = rows_loaded.file_id
where files.status = 'accepted'
