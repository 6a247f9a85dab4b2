-- a view, not an incremental table like other staging: it joins several raw tables (dbt_project.yml
-- enables the folder only when var fulfilment is shippo)
{{ config(materialized='view') }}

-- One row per Shippo transaction (a label bought), in the columns of stg_shipstation__labels.
-- The transaction names its order (`order`, the shipment of this layer) and the rate bought; the
-- rate, listed in its shipment's `rates`, holds the cost and the shipment the ship date.
with source as (
    select * from {{ source('shippo', 'transactions') }}
),

fields as (
    select
        {{- json_fields('_record', {
            'label_id': ['object_id'],
            'shipment_id': ['order'],
            'transaction_status': ['status'],
            'tracking_number': ['tracking_number'],
            'tracking_status': ['tracking_status'],
            'rate_id': ['rate'],
            'created_at': ['object_created'],
        }) }},
        _loaded_at
    from source
),

rates as (
    select
        rates.rate_id,
        rates.cost_currency_code,
        rates.shipment_cost,
        {{ json_text('shipments._record', ['shipment_date']) }} as ship_date
    from {{ source('shippo', 'shipments') }} as shipments
    inner join {{ json_array_fields(source('shippo', 'shipments'), '_record', ['rates'], {
        'rate_id': ['object_id'],
        'cost_currency_code': ['currency'],
        'shipment_cost': ['amount'],
    }, carry=['_pk']) }} as rates
        on shipments._pk = rates._pk
),

renamed as (
    select
        fields.label_id,
        fields.shipment_id,
        -- Shippo's TransactionStatusEnum in ShipStation's label words: SUCCESS is a label bought
        -- ('completed'); a refund (REFUNDPENDING, REFUNDED) is ShipStation's void ('voided'), costing
        -- and shipping nothing; WAITING/QUEUED/ERROR/REFUNDREJECTED keep their own name
        case upper(fields.transaction_status)
            when 'SUCCESS' then 'completed'
            when 'REFUNDED' then 'voided'
            when 'REFUNDPENDING' then 'voided'
            else lower(fields.transaction_status)
        end as label_status,
        coalesce(upper(fields.transaction_status) in ('REFUNDED', 'REFUNDPENDING'), false) as is_voided,
        fields.tracking_number,
        -- TrackingStatusEnum in ShipStation's label words (delivered, in_transit, error, unknown)
        case upper(fields.tracking_status)
            when 'DELIVERED' then 'delivered'
            when 'TRANSIT' then 'in_transit'
            when 'PRE_TRANSIT' then 'in_transit'
            when 'FAILURE' then 'error'
            else lower(fields.tracking_status)
        end as tracking_status,
        upper(rates.cost_currency_code) as cost_currency_code,
        {{ to_decimal('rates.shipment_cost') }} as shipment_cost,
        {{ utc_date('rates.ship_date') }} as ship_date,
        {{ utc_timestamp('fields.created_at') }} as created_at,
        {{ invalid_values({
            'shipment_cost': ('decimal', 'rates.shipment_cost'),
            'ship_date': ('utc_date', 'rates.ship_date'),
            'created_at': ('timestamp', 'fields.created_at'),
        }) }},
        fields._loaded_at
    from fields
    left join rates on fields.rate_id = rates.rate_id
)

select * from renamed
