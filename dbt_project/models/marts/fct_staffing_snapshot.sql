{{ config(
    materialized='incremental',
    incremental_strategy='append',
    post_hook="delete from {{ this }} where source_file_id not in (select file_id from {{ ref('stg_submission_files') }} where status = 'accepted')"
) }}
-- depends_on: {{ ref('stg_submission_files') }}
-- One row per commune-level unit per submitted period, from the latest accepted file of its province-period.
-- Incremental: a build appends only the rows of accepted files this table does not hold yet, then the post-hook
-- deletes the rows of files that are no longer the accepted one of their province-period (superseded by a newer
-- version that arrived since). Each province-period has one accepted file, so the result equals a full rebuild
-- (tests/transform/test_incremental_dbt.py compares the two); the work is the new files' rows, not the history.
-- A changed dbt project rebuilds it in full (`--full-refresh`, pipelines/transform/changes.py).
with current_rows as (
    select * from {{ ref('int_current_submission_rows') }}
    {% if is_incremental() %}
    where file_id not in (select distinct source_file_id from {{ this }})
    {% endif %}
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
