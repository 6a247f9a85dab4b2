{{ config(unique_key='label_id') }}

with source as (
    select * from {{ source('shipstation', 'labels') }}
    {{ loaded_since_last_build() }}
),

fields as (
    select
        {{- json_fields('_record', {
            'label_id': ['label_id'],
            'shipment_id': ['shipment_id'],
            'label_status': ['status'],
            'voided': ['voided'],
            'tracking_number': ['tracking_number'],
            'tracking_status': ['tracking_status'],
            'cost_currency_code': ['shipment_cost', 'currency'],
            'shipment_cost': ['shipment_cost', 'amount'],
            'ship_date': ['ship_date'],
            'created_at': ['created_at'],
        }) }},
        _loaded_at
    from source
),

renamed as (
    select
        label_id,
        shipment_id,
        lower(label_status) as label_status,
        -- a voided label (refunded, never shipped: https://docs.shipstation.com/void-labels) says so
        -- twice in the v2 label: `voided: true` and `status: voided`; either one counts
        coalesce(voided = 'true', false) or coalesce(lower(label_status) = 'voided', false) as is_voided,
        tracking_number,
        lower(tracking_status) as tracking_status,
        upper(cost_currency_code) as cost_currency_code,
        {{ to_decimal('shipment_cost') }} as shipment_cost,
        -- an ISO 8601 ship date with an offset counts on its UTC day: converted, never cut off
        -- (https://docs.shipstation.com/apis/shipstation-v2/docs/shipping/ship-dates)
        {{ utc_date('ship_date') }} as ship_date,
        {{ utc_timestamp('created_at') }} as created_at,
        {{ invalid_values({
            'shipment_cost': ('decimal', 'shipment_cost'),
            'ship_date': ('utc_date', 'ship_date'),
            'created_at': ('timestamp', 'created_at'),
        }) }},
        _loaded_at
    from fields
)

select * from renamed
