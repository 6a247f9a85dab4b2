-- One row per shipment of the fulfilment vendor: whether it counts, which contract it serves, its delivery.
select
    shipments.shipment_id,
    shipments.external_order_id,
    shipments.shipment_status,
    shipments.is_counted,
    shipments.ship_date,
    {{ month_of('shipments.ship_date') }} as ship_month,
    delivered.delivered_date,
    coalesce(delivered.is_delivery_date_unknown, false) as is_delivery_date_unknown,
    contracts.contract_number is not null as has_contract,
    shipments.is_counted and contracts.contract_number is null as is_orphan,
    coalesce(contracts.channel, 'unattributed') as channel,
    shipments.ship_to_name,
    shipments.ship_to_country,
    shipments.created_at,
    shipments.modified_at
from {{ ref('stg_fulfilment__shipments') }} as shipments
left join {{ ref('int_contracts__joined') }} as contracts
    on shipments.external_order_id = contracts.contract_number
left join {{ ref('int_shipments__delivered') }} as delivered
    on shipments.shipment_id = delivered.shipment_id
