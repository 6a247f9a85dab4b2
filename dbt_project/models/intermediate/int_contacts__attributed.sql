-- Each contact's channel and campaign (CONTRACTS §5): utm_source through channel_map; a paid
-- channel also needs utm_campaign to name a campaign on that platform; else 'unattributed'.
--
-- Incremental by difference: every build attributes every contact again (a campaign that first
-- appears in the ad data changes contacts created long ago), then writes only the rows whose
-- attribution differs from the stored one, and first deletes the contacts the CRM no longer has
-- (archived, or merged into another: the survivor counts once) and those sent again with a
-- creation time that does not parse. The table equals a rebuild's,
-- without rewriting 500k rows each night.
{{ config(
    materialized='incremental',
    unique_key='contact_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{% if is_incremental() %}{{ hub_delete_rows(this, \"not exists (select 1 from \"
        ~ ref('stg_crm__contacts') ~ \" as live where live.contact_id = \" ~ this ~ \".contact_id \"
        ~ \"and not live.is_archived and live.created_at is not null) or contact_id in (select merged_contact_id from \"
        ~ ref('stg_crm__contact_merges') ~ \")\") }}{% endif %}",
) }}
{%- set columns = ['contact_id', 'created_at', 'created_date', 'utm_source', 'utm_campaign',
                   'channel', 'campaign_name', 'campaign_id', 'unattributed_reason'] %}
with contacts as (
    select * from {{ ref('stg_crm__contacts') }}
    where not is_archived
        -- a creation time that did not parse places the lead in no month: it is left out (listed in
        -- dq_quarantined_values) until the CRM sends it again valid
        and created_at is not null
        and contact_id not in (select merged_contact_id from {{ ref('stg_crm__contact_merges') }})
),

mapped as (
    select
        contacts.contact_id,
        contacts.created_at,
        contacts.created_date,
        contacts.utm_source,
        contacts.utm_campaign,
        channel_map.channel as source_channel
    from contacts
    left join {{ ref('channel_map') }} as channel_map
        on contacts.utm_source = channel_map.utm_source
),

attributed as (
    select
        mapped.*,
        campaigns.campaign_id,
        case
            when mapped.source_channel is null then 'unattributed'
            when mapped.source_channel in ('meta', 'google_ads') and campaigns.campaign_name is null
                then 'unattributed'
            else mapped.source_channel
        end as channel,
        case
            when mapped.utm_source is null then 'no utm_source'
            when mapped.source_channel is null then 'unknown utm_source'
            when mapped.source_channel in ('meta', 'google_ads') and campaigns.campaign_name is null
                then 'unknown campaign'
        end as unattributed_reason
    from mapped
    left join {{ ref('int_campaigns__named') }} as campaigns
        on mapped.source_channel = campaigns.channel
        and mapped.utm_campaign = campaigns.campaign_name
),

final as (
    select
        contact_id,
        created_at,
        created_date,
        utm_source,
        utm_campaign,
        channel,
        case when channel in ('meta', 'google_ads') then utm_campaign end as campaign_name,
        case when channel in ('meta', 'google_ads') then campaign_id end as campaign_id,
        unattributed_reason
    from attributed
)

select final.*
from final
{%- if is_incremental() %}
left join {{ this }} as stored on final.contact_id = stored.contact_id
where stored.contact_id is null
    {%- for column in columns[1:] %}
    or final.{{ column }} is distinct from stored.{{ column }}
    {%- endfor %}
{%- endif %}
