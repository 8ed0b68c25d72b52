with source as (
    select * from {{ source('audit', 'submission_files') }}
)

select
    file_id,
    file_name,
    archive_path,
    format,
    encoding,
    province_code,
    period,
    map_version,
    cast(period || '-01' as date)                                           as period_start,
    received_at,
    cast(timezone('Asia/Ho_Chi_Minh', received_at) as date)                 as received_date_local,
    ingested_at,
    ingest_batch_id,
    status,
    superseded_by,
    rows_received,
    rows_loaded,
    rows_quarantined,
    reason
from source
