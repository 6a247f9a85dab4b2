{{ config(unique_key='deal_id') }}

with source as (
    select * from {{ source('hubspot', 'deals') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['id']) }} as deal_id,
        {{ json_text('_record', ['properties', 'dealname']) }} as deal_name,
        {{ json_text('_record', ['properties', 'dealstage']) }} as deal_stage,
        upper(trim({{ json_text('_record', ['properties', 'deal_currency_code']) }})) as currency_code,
        {{ to_decimal(json_text('_record', ['properties', 'amount'])) }} as amount,
        {{ json_text('_record', ['archived']) }} = 'true' as is_archived,
        {{ utc_timestamp(json_text('_record', ['properties', 'createdate'])) }} as created_at,
        {{ utc_timestamp(json_text('_record', ['properties', 'closedate'])) }} as closed_at,
        {{ utc_timestamp(json_text('_record', ['updatedAt'])) }} as updated_at,
        _loaded_at
    from source
)

select
    *,
    cast(created_at as date) as created_date
from renamed
