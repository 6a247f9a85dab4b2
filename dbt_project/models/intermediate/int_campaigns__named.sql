-- The campaigns each paid platform knows, by name: what a contact's utm_campaign must equal.
select
    platform as channel,
    campaign_name,
    min(campaign_id) as campaign_id,
    count(distinct campaign_id) as campaign_ids
from {{ ref('int_ad_spend__converted') }}
where campaign_name is not null
group by platform, campaign_name
