-- One row per contract line against its counted shipments as of the clock: shipped and
-- delivered quantity and value, backlog (never negative), over-shipment, and the day it was
-- first fully shipped.
with lines as (
    select * from {{ ref('int_contract_lines__converted') }}
),

shipment_lines as (
    select * from {{ ref('int_shipment_lines__matched') }}
),

shipped as (
    select
        contract_line_id,
        sum(shipped_quantity) as shipped_quantity,
        sum(shipped_value) as shipped_value,
        sum(case when delivered_date is not null then shipped_quantity else 0 end) as delivered_quantity,
        sum(case when delivered_date is not null then shipped_value else 0 end) as delivered_value
    from shipment_lines
    group by contract_line_id
),

-- the day each line's cumulative shipped quantity first reached its contracted quantity
running as (
    select
        contract_line_id,
        ship_date,
        sum(shipped_quantity) over (
            partition by contract_line_id
            order by ship_date, shipment_id
            rows between unbounded preceding and current row
        ) as shipped_to_date
    from shipment_lines
),

-- ... and the day its cumulative delivered quantity did (shipments ordered by delivery day)
delivered_running as (
    select
        contract_line_id,
        delivered_date,
        sum(shipped_quantity) over (
            partition by contract_line_id
            order by delivered_date, shipment_id
            rows between unbounded preceding and current row
        ) as delivered_to_date
    from shipment_lines
    where delivered_date is not null
),

fully_delivered as (
    select delivered_running.contract_line_id, min(delivered_running.delivered_date) as fully_delivered_date
    from delivered_running
    inner join lines on delivered_running.contract_line_id = lines.contract_line_id
    where delivered_running.delivered_to_date >= lines.quantity
    group by delivered_running.contract_line_id
),

fully_shipped as (
    select running.contract_line_id, min(running.ship_date) as fully_shipped_date
    from running
    inner join lines on running.contract_line_id = lines.contract_line_id
    where running.shipped_to_date >= lines.quantity
    group by running.contract_line_id
)

select
    lines.contract_line_id,
    lines.contract_number,
    lines.line_item_id,
    lines.deal_id,
    lines.channel,
    lines.customer_id,
    lines.signed_date,
    lines.sku,
    lines.currency_code,
    lines.quantity,
    lines.unit_price,
    lines.line_value,
    lines.booked_value,
    -- fixed types: the same figures read the same on every warehouse
    cast(coalesce(shipped.shipped_quantity, 0) as decimal(38, 6)) as shipped_quantity,
    cast(coalesce(shipped.shipped_value, 0) as decimal(18, 2)) as shipped_value,
    cast(coalesce(shipped.delivered_quantity, 0) as decimal(38, 6)) as delivered_quantity,
    cast(coalesce(shipped.delivered_value, 0) as decimal(18, 2)) as delivered_value,
    cast(greatest(lines.quantity - coalesce(shipped.shipped_quantity, 0), 0) as decimal(38, 6))
        as backlog_quantity,
    {{ fx_convert(
        'greatest(lines.quantity - coalesce(shipped.shipped_quantity, 0), 0) * lines.unit_price',
        'lines.rate_to_scaled', 'lines.rate_from_scaled') }} as backlog_value,
    coalesce(shipped.shipped_quantity, 0) > lines.quantity as is_over_shipped,
    fully_shipped.fully_shipped_date,
    fully_delivered.fully_delivered_date
from lines
left join shipped on lines.contract_line_id = shipped.contract_line_id
left join fully_shipped on lines.contract_line_id = fully_shipped.contract_line_id
left join fully_delivered on lines.contract_line_id = fully_delivered.contract_line_id
