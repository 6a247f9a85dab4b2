-- Vendor values that did not parse (staging's `_invalid_values`), one row per record and column,
-- with the raw value and the reason: kept out of the facts and listed, never a failed night.
-- The raw values listed are quantities, amounts and dates, never personal data.
{#- Each staging model with its record key; the CRM's and the fulfilment vendor's through their
    vendor-neutral views, listed under the configured vendor's model name (macros/vendors.sql). -#}
{%- set staged = {
    vendor_model('crm', 'contacts'): ('stg_crm__contacts', 'contact_id'),
    vendor_model('crm', 'companies'): ('stg_crm__companies', 'company_id'),
    vendor_model('crm', 'deals'): ('stg_crm__deals', 'deal_id'),
    vendor_model('crm', 'line_items'): ('stg_crm__line_items', 'line_item_id'),
    'stg_meta__insights': ('stg_meta__insights', 'insight_id'),
    'stg_google_ads__campaign_days': ('stg_google_ads__campaign_days', 'campaign_day_id'),
    'stg_docusign__envelopes': ('stg_docusign__envelopes', 'envelope_id'),
    'stg_docusign__signers': ('stg_docusign__signers', "envelope_id || ':' || recipient_id"),
    vendor_model('fulfilment', 'shipments'): ('stg_fulfilment__shipments', 'shipment_id'),
    vendor_model('fulfilment', 'shipment_items'): ('stg_fulfilment__shipment_items', 'shipment_item_id'),
    vendor_model('fulfilment', 'labels'): ('stg_fulfilment__labels', 'label_id'),
    vendor_model('fulfilment', 'tracking'): ('stg_fulfilment__tracking', 'label_id'),
    'stg_ecb__rates': ('stg_ecb__rates', 'rate_id'),
} %}
{#- The values without which the record is left out of the facts (CONTRACTS.md §5): a measure, or
    the day or creation time that places the record in a month. Any other bad value stays empty. -#}
{%- set required = {
    vendor_model('crm', 'contacts'): ['created_at'],
    vendor_model('crm', 'deals'): ['created_at'],
    vendor_model('crm', 'line_items'): ['quantity', 'unit_price'],
    'stg_docusign__envelopes': ['completed_at'],
    vendor_model('fulfilment', 'shipment_items'): ['quantity'],
    'stg_meta__insights': ['spend', 'ad_date'],
    'stg_google_ads__campaign_days': ['cost', 'ad_date'],
} %}
with flagged as (
    {%- for model, (read_from, key) in staged.items() %}
    select
        cast('{{ model }}' as {{ dbt.type_string() }}) as model_name,
        cast({{ key }} as {{ dbt.type_string() }}) as record_id,
        {{ split_rows('_invalid_values', 'chr(30)') }} as entry
    from {{ ref(read_from) }}
    where _invalid_values is not null
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

entries as (
    select
        model_name,
        record_id,
        {{ dbt.split_part('entry', 'chr(31)', 1) }} as column_name,
        {{ dbt.split_part('entry', 'chr(31)', 2) }} as raw_value,
        {{ dbt.split_part('entry', 'chr(31)', 3) }} as reason
    from flagged
)

select
    model_name,
    record_id,
    column_name,
    raw_value,
    reason,
    case
        {%- for model, columns in required.items() %}
        when model_name = '{{ model }}' and column_name in ('{{ columns | join("', '") }}')
            then 'record left out of the facts'
        {%- endfor %}
        when model_name = '{{ vendor_model('fulfilment', 'shipments') }}' and column_name = 'ship_date'
            then 'shipment not counted as shipped'
        when model_name = 'stg_ecb__rates' then 'previous rate governs'
        else 'value left empty'
    end as effect
from entries
