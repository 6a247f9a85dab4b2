-- A view: fct_ad_spend materialises it incrementally, within the restatement window.
-- Ad rows of both platforms in one shape, spend converted at the ad day's rate.
{{ config(materialized="view") }}
with meta as (
    select
        'meta' as platform,
        insight_id as ad_row_id,
        account_id,
        campaign_id,
        campaign_name,
        ad_date,
        reported_currency_code,
        spend,
        impressions,
        clicks,
        _loaded_at
    from {{ ref('stg_meta__insights') }}
    -- a row whose spend or day did not parse is quarantined (dq_quarantined_values), not reported
    where spend is not null and ad_date is not null
),

google_ads as (
    select
        'google_ads' as platform,
        campaign_day_id as ad_row_id,
        customer_id as account_id,
        campaign_id,
        campaign_name,
        ad_date,
        reported_currency_code,
        cost as spend,
        impressions,
        clicks,
        _loaded_at
    from {{ ref('stg_google_ads__campaign_days') }}
    where cost is not null and ad_date is not null
),

unioned as (
    select * from meta
    union all
    select * from google_ads
),

with_currency as (
    select
        unioned.*,
        -- the row's own currency when the vendor sent it, else the account's fixed one (CONTRACTS §1)
        coalesce(unioned.reported_currency_code, accounts.currency_code) as currency_code
    from unioned
    left join {{ ref('ad_accounts') }} as accounts
        on unioned.platform = accounts.platform
        and unioned.account_id = accounts.account_id
)

select
    with_currency.platform,
    with_currency.ad_row_id,
    with_currency.account_id,
    with_currency.campaign_id,
    with_currency.campaign_name,
    with_currency.ad_date,
    with_currency.currency_code,
    with_currency.spend,
    {{ fx_convert('with_currency.spend', 'fx_to.rate_scaled', 'fx_from.rate_scaled') }} as spend_reporting,
    with_currency.impressions,
    with_currency.clicks,
    with_currency._loaded_at
from with_currency
{{ fx_join_pair('fx', 'with_currency.currency_code', 'with_currency.ad_date') }}
