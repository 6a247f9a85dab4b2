{{ config(enabled=var('crm', 'hubspot') == 'salesforce', unique_key='company_id') }}

-- Salesforce accounts as the CRM's companies; the domain is the Website without its scheme or www.
with source as (
    select * from {{ source('salesforce', 'accounts') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'company_id': ['Id'],
            'company_name': ['Name'],
            'website': ['Website'],
            'country': ['BillingCountryCode'],
            'is_deleted': ['IsDeleted'],
            'createdate': ['CreatedDate'],
            'updated_at': ['SystemModstamp'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        company_id,
        nullif(company_name, '') as company_name,
        nullif(replace(replace(replace(lower(trim(website)), 'https://', ''), 'http://', ''), 'www.', ''), '') as domain,
        nullif(country, '') as country,
        coalesce(lower(is_deleted) = 'true', false) as is_archived,
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
