{{ config(
    materialized='incremental',
    incremental_strategy='append',
    post_hook="delete from {{ this }} where source_file_id not in (select file_id from {{ ref('stg_submission_files') }} where status = 'accepted')"
) }}
-- depends_on: {{ ref('stg_submission_files') }}
-- HQ status of every unit per submitted period.
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
