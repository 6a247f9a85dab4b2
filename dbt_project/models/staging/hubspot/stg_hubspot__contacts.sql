{{ config(unique_key='contact_id') }}

with source as (
    select * from {{ source('hubspot', 'contacts') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'contact_id': ['id'],
            'email': ['properties', 'email'],
            'first_name': ['properties', 'firstname'],
            'last_name': ['properties', 'lastname'],
            'company_name': ['properties', 'company'],
            'utm_source': ['properties', 'utm_source'],
            'utm_campaign': ['properties', 'utm_campaign'],
            'archived': ['archived'],
            'createdate': ['properties', 'createdate'],
            'updated_at': ['updatedAt'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        contact_id,
        lower(trim(email)) as email,
        first_name,
        last_name,
        company_name,
        utm_source,
        utm_campaign,
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

select
    *,
    cast(created_at as date) as created_date
from renamed
