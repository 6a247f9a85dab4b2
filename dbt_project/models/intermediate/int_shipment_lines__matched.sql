-- Counted shipments' items matched to contract lines by contract number and SKU, valued at the
-- line's price and the contract's signing-day rate (CONTRACTS §5).
with shipments as (
    select * from {{ ref('stg_fulfilment__shipments') }}
    where is_counted
),

items as (
    -- a shipment may list one SKU on several items: the line value is per line and shipment
    select
        shipment_id,
        sku,
        sum(quantity) as shipped_quantity
    from {{ ref('stg_fulfilment__shipment_items') }}
    -- an item whose quantity did not parse is quarantined (dq_quarantined_values), not shipped
    where quantity is not null
    group by shipment_id, sku
)

select
    shipments.shipment_id || ':' || lines.contract_line_id as shipment_line_id,
    shipments.shipment_id,
    lines.contract_line_id,
    lines.contract_number,
    lines.channel,
    lines.customer_id,
    lines.sku,
    shipments.ship_date,
    delivered.delivered_date,
    coalesce(delivered.is_delivery_date_unknown, false) as is_delivery_date_unknown,
    items.shipped_quantity,
    lines.unit_price,
    lines.currency_code,
    {{ fx_convert('items.shipped_quantity * lines.unit_price', 'lines.rate_to_scaled', 'lines.rate_from_scaled') }}
        as shipped_value
from shipments
inner join items
    on shipments.shipment_id = items.shipment_id
inner join {{ ref('int_contract_lines__converted') }} as lines
    on shipments.external_order_id = lines.contract_number
    and items.sku = lines.sku
left join {{ ref('int_shipments__delivered') }} as delivered
    on shipments.shipment_id = delivered.shipment_id
