-- One row per CRM contact (lead) with its attributed channel and campaign.
-- A view: int_contacts__attributed stores the rows (incrementally); a table here would copy
-- 500k rows on every build to add one derived column.
{{ config(materialized='view') }}
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
