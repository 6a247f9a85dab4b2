-- One row per counted shipment x contract line it fulfils, valued at the line price.
select
    shipment_line_id,
    shipment_id,
    contract_line_id,
    contract_number,
    channel,
    customer_id,
    sku,
    ship_date,
    {{ month_of('ship_date') }} as ship_month,
    delivered_date,
    is_delivery_date_unknown,
    shipped_quantity,
    unit_price,
    currency_code,
    shipped_value
from {{ ref('int_shipment_lines__matched') }}
