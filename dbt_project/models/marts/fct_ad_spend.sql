-- Day x platform x account x campaign spend, original and reporting currency.
-- Incremental: each run rebuilds the rows loaded since the last build plus the whole restatement
-- window (Meta restates up to 28 days back; a late FX rate can also move a recent day). A row
-- whose spend or day a restatement made unparseable leaves the table (pre-hook): delete+insert
-- only replaces the rows the select returns, and the select leaves quarantined rows out.
-- depends_on: {{ ref('stg_meta__insights') }}, {{ ref('stg_google_ads__campaign_days') }}
{{ config(
    materialized='incremental',
    unique_key='ad_row_id',
    incremental_strategy='delete+insert',
    pre_hook="{% if is_incremental() %}{{ hub_delete_rows(this, \"ad_row_id in (\"
        ~ \"select 'meta:' || insight_id from \" ~ ref('stg_meta__insights')
        ~ \" where _invalid_values is not null and (spend is null or ad_date is null) union all \"
        ~ \"select 'google_ads:' || campaign_day_id from \" ~ ref('stg_google_ads__campaign_days')
        ~ \" where _invalid_values is not null and (cost is null or ad_date is null))\") }}{% endif %}",
) }}

select
    platform || ':' || ad_row_id as ad_row_id,
    platform,
    account_id,
    campaign_id,
    campaign_name,
    ad_date,
    currency_code,
    spend,
    spend_reporting,
    cast('{{ reporting_currency() }}' as {{ dbt.type_string() }}) as reporting_currency,
    impressions,
    clicks,
    _loaded_at
from {{ ref('int_ad_spend__converted') }}
{% if is_incremental() %}
{#- The watermarks are read first and inlined as literals: compared with subqueries in one `or`,
    they kept the warehouse from filtering before the FX joins, so every run converted every row. -#}
{%- set marks = run_query(
    "select max(_loaded_at), max(ad_date), count(case when reporting_currency <> '"
    ~ reporting_currency() ~ "' then 1 end) from " ~ this
) if execute else none -%}
{#- Both watermarks or none: a table holding rows without one (or none at all) is converted again
    whole, never compared with a missing mark rendered as 'None'. -#}
{%- if marks and marks.rows[0][0] is not none and marks.rows[0][1] is not none and marks.rows[0][2] == 0 %}
where _loaded_at > cast('{{ marks.rows[0][0] }}' as timestamp)
    or ad_date >= cast('{{ marks.rows[0][1] - modules.datetime.timedelta(days=var("restatement_window_days")) }}' as date)
{%- endif %}
{#- else (empty table, or a new reporting currency): every row is converted again -#}
{% endif %}
