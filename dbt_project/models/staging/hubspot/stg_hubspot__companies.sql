{{ config(unique_key='company_id') }}

with source as (
    select * from {{ source('hubspot', 'companies') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'company_id': ['id'],
            'company_name': ['properties', 'name'],
            'domain': ['properties', 'domain'],
            'country': ['properties', 'country'],
            'archived': ['archived'],
            'createdate': ['properties', 'createdate'],
            'updated_at': ['updatedAt'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        company_id,
        company_name,
        lower(trim(domain)) as domain,
        country,
        coalesce(archived = 'true', false) as is_archived,
        {{ utc_timestamp('createdate') }} as created_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ invalid_values({
            'created_at': ('timestamp', 'createdate'),
            'updated_at': ('timestamp', 'updated_at'),
        }) }},
        _loaded_at
    from fields
)

select * from renamed
