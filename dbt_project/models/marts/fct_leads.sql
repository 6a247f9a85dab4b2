-- One row per HubSpot contact (lead) with its attributed channel and campaign.
select
    contact_id,
    created_at,
    created_date,
    {{ month_of('created_date') }} as lead_month,
    utm_source,
    utm_campaign,
    channel,
    campaign_id,
    campaign_name,
    unattributed_reason
from {{ ref('int_contacts__attributed') }}
