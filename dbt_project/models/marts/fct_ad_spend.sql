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
where _loaded_at > (select max(_loaded_at) from {{ this }})
    or ad_date >= (
        select {{ dbt.dateadd('day', -var('restatement_window_days'), 'max(ad_date)') }}
        from {{ this }}
    )
    -- a new reporting currency converts every row again
    or exists (
        select 1 from {{ this }} where reporting_currency <> '{{ var("reporting_currency") }}'
    )
{% endif %}
