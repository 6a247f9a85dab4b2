-- A view: int_contacts__attributed alone reads it.
{{ config(materialized="view") }}
-- The campaigns each paid platform knows, by name: what a contact's utm_campaign must equal.
with named as (
    select 'meta' as channel, campaign_name, campaign_id from {{ ref('stg_meta__insights') }}
    union all
    select 'google_ads', campaign_name, campaign_id from {{ ref('stg_google_ads__campaign_days') }}
)

select
    channel,
    campaign_name,
    min(campaign_id) as campaign_id,
    count(distinct campaign_id) as campaign_ids
from named
where campaign_name is not null
group by channel, campaign_name
