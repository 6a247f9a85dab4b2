-- One row per contract line: contracted against shipped and delivered, as of the clock.
select
    contract_line_id,
    contract_number,
    line_item_id,
    deal_id,
    channel,
    signed_date,
    sku,
    currency_code,
    quantity,
    unit_price,
    line_value,
    booked_value,
    shipped_quantity,
    shipped_value,
    delivered_quantity,
    delivered_value,
    backlog_quantity,
    backlog_value,
    is_over_shipped
from {{ ref('int_contract_lines__shipped') }}
