{{ config(unique_key='shipment_id') }}

with source as (
    select * from {{ source('shipstation', 'shipments') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'shipment_id': ['shipment_id'],
            'external_order_id': ['external_order_id'],
            'shipment_status': ['shipment_status'],
            'ship_to_name': ['ship_to', 'name'],
            'ship_to_company': ['ship_to', 'company_name'],
            'ship_to_email': ['ship_to', 'email'],
            'ship_to_country': ['ship_to', 'country_code'],
            'ship_date': ['ship_date'],
            'created_at': ['created_at'],
            'modified_at': ['modified_at'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        shipment_id,
        nullif(trim(external_order_id), '') as external_order_id,
        lower(shipment_status) as shipment_status,
        ship_to_name,
        ship_to_company,
        lower(trim(ship_to_email)) as ship_to_email,
        ship_to_country,
        -- ship_date is ISO 8601 (https://docs.shipstation.com/apis/shipstation-v2/docs/shipping/ship-dates),
        -- so it may carry an offset: it counts on its UTC day ('2026-01-24T19:00:00-05:00' is the
        -- 25th), converted, never cut off
        {{ utc_date('ship_date') }} as ship_date,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ utc_timestamp('modified_at') }} as modified_at,
        {{ invalid_values({
            'ship_date': ('utc_date', 'ship_date'),
            'created_at': ('timestamp', 'created_at'),
            'modified_at': ('timestamp', 'modified_at'),
        }) }},
        _loaded_at
    from fields
)

select
    *,
    -- CONTRACTS §5: only purchased labels with a ship date count; cancelled/pending count nothing
    (shipment_status = 'label_purchased' and ship_date is not null) as is_counted
from renamed
