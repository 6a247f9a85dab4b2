{{ config(unique_key='contact_id') }}

with source as (
    select * from {{ source('hubspot', 'contacts') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['id']) }} as contact_id,
        lower(trim({{ json_text('_record', ['properties', 'email']) }})) as email,
        {{ json_text('_record', ['properties', 'firstname']) }} as first_name,
        {{ json_text('_record', ['properties', 'lastname']) }} as last_name,
        {{ json_text('_record', ['properties', 'company']) }} as company_name,
        {{ json_text('_record', ['properties', 'utm_source']) }} as utm_source,
        {{ json_text('_record', ['properties', 'utm_campaign']) }} as utm_campaign,
        {{ json_text('_record', ['archived']) }} = 'true' as is_archived,
        {{ utc_timestamp(json_text('_record', ['properties', 'createdate'])) }} as created_at,
        {{ utc_timestamp(json_text('_record', ['updatedAt'])) }} as updated_at,
        _loaded_at
    from source
)

select
    *,
    cast(created_at as date) as created_date
from renamed
