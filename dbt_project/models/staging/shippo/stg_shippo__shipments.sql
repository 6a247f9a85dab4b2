-- a view, not an incremental table like other staging: it joins several raw tables (dbt_project.yml
-- enables the folder only when var fulfilment is shippo)
{{ config(materialized='view') }}

-- One row per Shippo order, in the columns of stg_shipstation__shipments: a Shippo order is what
-- ShipStation calls a shipment (items for one address, labels bought for it), and its
-- `order_number` is the contract number (ShipStation's external_order_id).
with source as (
    select * from {{ source('shippo', 'orders') }}
),

fields as (
    select
        {{- json_fields('_record', {
            'shipment_id': ['object_id'],
            'external_order_id': ['order_number'],
            'order_status': ['order_status'],
            'ship_to_name': ['to_address', 'name'],
            'ship_to_company': ['to_address', 'company'],
            'ship_to_email': ['to_address', 'email'],
            'ship_to_country': ['to_address', 'country'],
            'created_at': ['placed_at'],
        }) }},
        _loaded_at
    from source
),

-- the planned ship date: the earliest `max_ship_time` of its lines ("by when the shipping label
-- needs to be created and handed over to the carrier", the spec's LineItem)
planned as (
    select _pk as shipment_id, min(max_ship_time) as planned_ship_date
    from {{ json_array_fields(source('shippo', 'orders'), '_record', ['line_items'], {
        'max_ship_time': ['max_ship_time'],
    }, carry=['_pk']) }} as lines
    group by _pk
),

-- the labels bought and kept: the ship date of their shipment, the time the first was bought
labels as (
    select
        shipment_id,
        min(ship_date) as ship_date,
        min(created_at) as bought_at
    from {{ ref('stg_shippo__labels') }}
    where not is_voided and label_status = 'completed'
    group by shipment_id
),

renamed as (
    select
        fields.shipment_id,
        nullif(trim(fields.external_order_id), '') as external_order_id,
        -- OrderStatusEnum in ShipStation's shipment words: cancelled or refunded orders are
        -- 'cancelled'; an order with a label bought and kept is 'label_purchased' (Shippo moves it
        -- to SHIPPED then: https://docs.goshippo.com/docs/orders/orders/); any other is 'pending'
        case
            when upper(fields.order_status) in ('CANCELLED', 'REFUNDED') then 'cancelled'
            when labels.shipment_id is not null or upper(fields.order_status) = 'SHIPPED' then 'label_purchased'
            else 'pending'
        end as shipment_status,
        nullif(fields.ship_to_name, '') as ship_to_name,
        nullif(fields.ship_to_company, '') as ship_to_company,
        lower(trim(nullif(fields.ship_to_email, ''))) as ship_to_email,
        fields.ship_to_country,
        coalesce(labels.ship_date, {{ utc_date('planned.planned_ship_date') }}) as ship_date,
        {{ utc_timestamp('fields.created_at') }} as created_at,
        -- orders carry no update time: the last change known is the label bought
        coalesce(labels.bought_at, {{ utc_timestamp('fields.created_at') }}) as modified_at,
        {{ invalid_values({
            'ship_date': ('utc_date', 'planned.planned_ship_date'),
            'created_at': ('timestamp', 'fields.created_at'),
        }) }},
        fields._loaded_at
    from fields
    left join planned on fields.shipment_id = planned.shipment_id
    left join labels on fields.shipment_id = labels.shipment_id
)

select
    *,
    -- CONTRACTS §5: only purchased labels with a ship date count; cancelled/pending count nothing
    (shipment_status = 'label_purchased' and ship_date is not null) as is_counted
from renamed
