-- A view: fct_contracts alone reads it (the label costs summed per contract).
{{ config(materialized="view") }}
-- Shipping labels with their cost converted at the label's creation day (voided ones cost nothing).
with labels as (
    select * from {{ ref('stg_fulfilment__labels') }}
    where not is_voided
)

select
    labels.label_id,
    labels.shipment_id,
    labels.cost_currency_code,
    labels.shipment_cost,
    cast(labels.created_at as date) as created_date,
    {{ fx_convert('labels.shipment_cost', 'fx_to.rate_scaled', 'fx_from.rate_scaled') }}
        as shipment_cost_reporting
from labels
{{ fx_join_pair('fx', 'labels.cost_currency_code', 'cast(labels.created_at as date)') }}
