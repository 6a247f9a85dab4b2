{{ config(unique_key='company_id') }}

with source as (
    select * from {{ source('hubspot', 'companies') }}
    {{ loaded_since_last_build() }}
),

renamed as (
    select
        {{ json_text('_record', ['id']) }} as company_id,
        {{ json_text('_record', ['properties', 'name']) }} as company_name,
        lower(trim({{ json_text('_record', ['properties', 'domain']) }})) as domain,
        {{ json_text('_record', ['properties', 'country']) }} as country,
        {{ json_text('_record', ['archived']) }} = 'true' as is_archived,
        {{ utc_timestamp(json_text('_record', ['properties', 'createdate'])) }} as created_at,
        {{ utc_timestamp(json_text('_record', ['updatedAt'])) }} as updated_at,
        _loaded_at
    from source
)

select * from renamed
