{{ config(unique_key='deal_id') }}

with source as (
    select * from {{ source('hubspot', 'deals') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'deal_id': ['id'],
            'deal_name': ['properties', 'dealname'],
            'deal_stage': ['properties', 'dealstage'],
            'deal_currency_code': ['properties', 'deal_currency_code'],
            'amount': ['properties', 'amount'],
            'archived': ['archived'],
            'createdate': ['properties', 'createdate'],
            'closedate': ['properties', 'closedate'],
            'updated_at': ['updatedAt'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        deal_id,
        deal_name,
        deal_stage,
        upper(trim(deal_currency_code)) as currency_code,
        {{ to_decimal('amount') }} as amount,
        coalesce(archived = 'true', false) as is_archived,
        {{ utc_timestamp('createdate') }} as created_at,
        {{ utc_timestamp('closedate') }} as closed_at,
        {{ utc_timestamp('updated_at') }} as updated_at,
        {{ invalid_values({
            'amount': ('decimal', 'amount'),
            'created_at': ('timestamp', 'createdate'),
            'closed_at': ('timestamp', 'closedate'),
            'updated_at': ('timestamp', 'updated_at'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    cast(created_at as date) as created_date
from renamed
