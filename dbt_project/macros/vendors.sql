{#- The staging model of the vendor configured for a kind of data: `vendor_model('crm', 'contacts')` is
    'stg_hubspot__contacts' under the default var `crm: hubspot`, 'stg_salesforce__contacts' under
    `crm: salesforce`. Only the vendor-neutral staging models (models/staging/crm, models/staging/fulfilment)
    and the quarantine listing name one this way, so no intermediate model or mart names a vendor.
    The vars come from HUB_CRM and HUB_FULFILMENT (pipelines/transform/project.py `dbt_vars`). -#}
{% macro vendor_model(kind, entity) -%}
  {%- set vendors = {'crm': ['hubspot', 'salesforce'], 'fulfilment': ['shipstation', 'shippo']} -%}
  {%- set vendor = var(kind) -%}
  {%- if vendor not in vendors[kind] -%}
    {{ exceptions.raise_compiler_error("dbt var " ~ kind ~ " is '" ~ vendor ~ "': expected one of "
        ~ vendors[kind] | join(', ') ~ "; set HUB_" ~ kind | upper ~ " to one of them") }}
  {%- endif -%}
  {{- return('stg_' ~ vendor ~ '__' ~ entity) -}}
{%- endmacro %}

{#- The DocuSign envelope's text custom field that names the configured CRM's deal (ARCHITECTURE
    "Join keys across systems"): the record a contract is joined to its deal by. -#}
{% macro crm_deal_id_field() -%}
  {{- return({'hubspot': 'hubspot_deal_id', 'salesforce': 'salesforce_opportunity_id'}[var('crm')]) -}}
{%- endmacro %}
