-- One row per signed contract (completed envelope): its channel and customer; contracted,
-- shipped and delivered quantity and value as of the clock (summed from its lines), when it was
-- first shipped and fully shipped, and whether that met the promised delivery date.
with line_status as (
    select * from {{ ref('fct_contract_lines') }}
),

per_contract as (
    select
        contract_number,
        count(*) as line_count,
        sum(quantity) as contracted_quantity,
        sum(booked_value) as booked_value,
        sum(shipped_quantity) as shipped_quantity,
        sum(shipped_value) as shipped_value,
        sum(delivered_quantity) as delivered_quantity,
        sum(delivered_value) as delivered_value,
        sum(backlog_value) as backlog_value,
        sum(case when is_over_shipped then 1 else 0 end) as over_shipped_lines,
        -- fully shipped once its last line is; never while any line is short
        case when count(fully_shipped_date) = count(*) then max(fully_shipped_date) end
            as fully_shipped_date,
        case when count(fully_delivered_date) = count(*) then max(fully_delivered_date) end
            as fully_delivered_date
    from line_status
    group by contract_number
),

shipments as (
    select
        external_order_id as contract_number,
        count(*) as shipment_count,
        min(ship_date) as first_ship_date
    from {{ ref('stg_fulfilment__shipments') }}
    where is_counted
    group by external_order_id
),

shipping_costs as (
    select
        shipments.external_order_id as contract_number,
        sum(labels.shipment_cost_reporting) as shipping_cost
    from {{ ref('stg_fulfilment__shipments') }} as shipments
    inner join {{ ref('int_labels__converted') }} as labels
        on shipments.shipment_id = labels.shipment_id
    where shipments.is_counted
    group by shipments.external_order_id
)

select
    contracts.contract_number,
    contracts.envelope_id,
    contracts.deal_id,
    customers.customer_id,
    contracts.channel,
    contracts.campaign_name,
    contracts.currency_code,
    contracts.signed_date,
    {{ month_of('contracts.signed_date') }} as signed_month,
    contracts.promised_delivery_date,
    coalesce(per_contract.line_count, 0) as line_count,
    coalesce(per_contract.contracted_quantity, 0) as contracted_quantity,
    coalesce(per_contract.booked_value, 0) as booked_value,
    coalesce(per_contract.shipped_quantity, 0) as shipped_quantity,
    coalesce(per_contract.shipped_value, 0) as shipped_value,
    coalesce(per_contract.delivered_quantity, 0) as delivered_quantity,
    coalesce(per_contract.delivered_value, 0) as delivered_value,
    coalesce(per_contract.backlog_value, 0) as backlog_value,
    coalesce(per_contract.over_shipped_lines, 0) > 0 as is_over_shipped,
    coalesce(shipments.shipment_count, 0) as shipment_count,
    -- CONTRACTS §5 "nothing shipped": no counted shipment item matched any of its lines
    not exists (
        select 1 from {{ ref('int_shipment_lines__matched') }} as shipment_lines
        where shipment_lines.contract_number = contracts.contract_number
    ) as is_unshipped,
    shipments.first_ship_date,
    per_contract.fully_shipped_date,
    per_contract.fully_delivered_date,
    -- CONTRACTS §5 "on time": judged only once the promised day is before the clock; a contract
    -- promised for later is neither on time nor late yet (it is in no rate's denominator)
    coalesce(contracts.promised_delivery_date < clock.as_of_date, false) as is_due,
    case
        when contracts.promised_delivery_date < clock.as_of_date
            then coalesce(per_contract.fully_shipped_date <= contracts.promised_delivery_date, false)
    end as is_shipped_on_time,
    case
        when contracts.promised_delivery_date < clock.as_of_date
            then coalesce(per_contract.fully_delivered_date <= contracts.promised_delivery_date, false)
    end as is_delivered_on_time,
    coalesce(shipping_costs.shipping_cost, 0) as shipping_cost
from {{ ref('int_contracts__joined') }} as contracts
cross join (select max(as_of_date) as as_of_date from {{ ref('int_report_months__spined') }}) as clock
left join {{ ref('int_customers__matched') }} as customers
    on contracts.envelope_id = customers.envelope_id
left join per_contract on contracts.contract_number = per_contract.contract_number
left join shipments on contracts.contract_number = shipments.contract_number
left join shipping_costs on contracts.contract_number = shipping_costs.contract_number
