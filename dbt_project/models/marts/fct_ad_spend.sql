-- Day x platform x account x campaign spend, original and reporting currency.
-- Incremental: each run rebuilds the rows loaded since the last build plus the whole restatement
-- window (Meta restates up to 28 days back; a late FX rate can also move a recent day).
{{ config(
    materialized='incremental',
    unique_key='ad_row_id',
    incremental_strategy='delete+insert',
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
    cast('{{ var("reporting_currency") }}' as varchar) as reporting_currency,
    impressions,
    clicks,
    _loaded_at
from {{ ref('int_ad_spend__converted') }}
{% if is_incremental() %}
{#- The watermarks are read first and inlined as literals: compared with subqueries in one `or`,
    they kept the warehouse from filtering before the FX joins, so every run converted every row. -#}
{%- set marks = run_query(
    "select max(_loaded_at), max(ad_date), count(case when reporting_currency <> '"
    ~ var('reporting_currency') ~ "' then 1 end) from " ~ this
) if execute else none -%}
{%- if marks and marks.rows[0][0] is not none and marks.rows[0][2] == 0 %}
where _loaded_at > cast('{{ marks.rows[0][0] }}' as timestamp)
    or ad_date >= cast('{{ marks.rows[0][1] - modules.datetime.timedelta(days=var("restatement_window_days")) }}' as date)
{%- endif %}
{#- else (empty table, or a new reporting currency): every row is converted again -#}
{% endif %}
