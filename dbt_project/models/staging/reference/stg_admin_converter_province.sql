with source as (
    select * from {{ source('raw', 'admin_converter_province') }}
)

select
    new_province_key,
    legacy_province_key
from source
