-- Records that failed to join across systems, each with the reason: kept and counted, never
-- dropped (ARCHITECTURE "Join keys across systems"). A record type names the vendor the record came
-- from (vars crm and fulfilment), as the user knows it.
select '{{ var("fulfilment") }}_shipment' as record_type, shipment_id as record_id,
    'external_order_id matches no signed contract' as reason,
    external_order_id as detail
from {{ ref('fct_shipments') }}
where is_orphan

union all

select '{{ var("fulfilment") }}_shipment_item', items.shipment_item_id,
    'SKU is not a line of the shipment''s contract', shipments.external_order_id || ' / ' || items.sku
from {{ ref('stg_fulfilment__shipment_items') }} as items
inner join {{ ref('fct_shipments') }} as shipments
    on items.shipment_id = shipments.shipment_id
where shipments.is_counted and shipments.has_contract
    and not exists (
        select 1 from {{ ref('fct_contract_lines') }} as lines
        where lines.contract_number = shipments.external_order_id and lines.sku = items.sku
    )

union all

select 'docusign_envelope', envelope_id, '{{ crm_deal_id_field() }} matches no deal', envelope_deal_id
from {{ ref('int_contracts__joined') }}
where deal_id is null

union all

select 'docusign_envelope', envelope_id, 'completed envelope has no contract_number', null
from {{ ref('int_contracts__joined') }}
where contract_number is null

union all

select '{{ var("crm") }}_contact', contact_id, unattributed_reason,
    coalesce(utm_source, '') || ' / ' || coalesce(utm_campaign, '')
from {{ ref('fct_leads') }}
where unattributed_reason in ('unknown campaign', 'unknown utm_source')

union all

select '{{ var("crm") }}_deal', deal_id, 'deal has no associated contact', null
from {{ ref('fct_deals') }}
where first_contact_id is null

union all

select 'ad_row', ad_row_id, 'no FX rate on or before the ad day', currency_code
from {{ ref('fct_ad_spend') }}
where spend_reporting is null

union all

select 'contract_line', contract_line_id, 'shipped more than contracted (over-shipment)',
    cast(shipped_quantity as {{ dbt.type_string() }}) || ' > ' || cast(quantity as {{ dbt.type_string() }})
from {{ ref('fct_contract_lines') }}
where is_over_shipped
