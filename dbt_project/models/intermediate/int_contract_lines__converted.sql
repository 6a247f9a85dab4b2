-- Contract lines (the deal's line items) valued at the signing day's rate, which every later
-- line value (shipped, delivered, backlog) reuses so they reconcile (CONTRACTS §5). Each line
-- carries its contract's customer, so every fact splits by customer the same way.
with lines as (
    select
        contracts.contract_number,
        contracts.envelope_id,
        contracts.deal_id,
        contracts.channel,
        customers.customer_id,
        contracts.signed_date,
        contracts.currency_code,
        line_items.line_item_id,
        line_items.sku,
        line_items.product_name,
        line_items.quantity,
        line_items.unit_price
    from {{ ref('int_contracts__joined') }} as contracts
    left join {{ ref('int_customers__matched') }} as customers
        on contracts.envelope_id = customers.envelope_id
    inner join {{ ref('stg_crm__associations') }} as associations
        on associations.association_type = 'deals_line_items'
        and associations.from_id = contracts.deal_id
    inner join {{ ref('stg_crm__line_items') }} as line_items
        on associations.to_id = line_items.line_item_id
    -- a line whose quantity or price did not parse is quarantined (dq_quarantined_values), not booked
    where line_items.quantity is not null and line_items.unit_price is not null
        and not line_items.is_archived
)

select
    lines.contract_number || ':' || lines.line_item_id as contract_line_id,
    lines.contract_number,
    lines.envelope_id,
    lines.deal_id,
    lines.line_item_id,
    lines.channel,
    lines.customer_id,
    lines.signed_date,
    lines.sku,
    lines.product_name,
    lines.currency_code,
    lines.quantity,
    lines.unit_price,
    lines.quantity * lines.unit_price as line_value,
    fx_to.rate_scaled as rate_to_scaled,
    fx_from.rate_scaled as rate_from_scaled,
    {{ fx_convert('lines.quantity * lines.unit_price', 'fx_to.rate_scaled', 'fx_from.rate_scaled') }}
        as booked_value
from lines
{{ fx_join_pair('fx', 'lines.currency_code', 'lines.signed_date') }}
