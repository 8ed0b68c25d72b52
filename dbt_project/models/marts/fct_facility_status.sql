-- HQ status of every unit per submitted period.
with current_rows as (
    select * from {{ ref('int_current_submission_rows') }}
)

select
    commune_sk || '@' || period                          as snapshot_id,
    period,
    period_start,
    map_version,
    province_code,
    province_sk,
    unit_code,
    commune_sk,
    unit_type,
    hq_status,
    case hq_status
        when 'doc_lap' then 'Trụ sở độc lập'
        when 'chung_ubnd' then 'Làm việc chung trụ sở UBND'
        when 'dang_xay_dung' then 'Đang xây dựng trụ sở'
        when 'chua_co' then 'Chưa có trụ sở'
    end                                                  as hq_status_label,
    file_id                                              as source_file_id
from current_rows
