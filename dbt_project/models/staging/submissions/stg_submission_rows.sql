with source as (
    select * from {{ source('raw_submissions', 'submission_rows') }}
)

select
    file_id,
    row_number,
    province_code,
    period,
    cast(period || '-01' as date)                          as period_start,
    map_version,
    unit_code,
    map_version || ':' || unit_code                        as commune_sk,
    map_version || ':' || province_code                    as province_sk,
    unit_name,
    unit_type,
    regular_officers,
    semi_professional_officers,
    heads,
    deputies,
    ca_vien,
    investigators,
    head_is_investigator,
    deputies_investigators,
    officers_trained,
    hq_status,
    notes
from source
