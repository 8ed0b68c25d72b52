-- One row per commune-level unit per submitted period, from the latest accepted file of its province-period.
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
    unit_name,
    unit_type,
    regular_officers,
    semi_professional_officers,
    regular_officers > 0                                 as has_regular_police,
    heads,
    deputies,
    ca_vien,
    investigators,
    head_is_investigator,
    deputies_investigators,
    officers_trained,
    file_id                                              as source_file_id,
    file_name                                            as source_file_name,
    row_number                                           as source_row_number,
    received_at
from current_rows
