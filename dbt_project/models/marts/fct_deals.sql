-- One row per CRM deal with its channel (from its first contact) and amount.
select
    deals.deal_id,
    deals.deal_name,
    deals.deal_stage,
    deals.currency_code,
    deals.amount,
    deals.created_at,
    deals.created_date,
    {{ month_of('deals.created_date') }} as deal_month,
    deals.closed_at,
    deals.first_contact_id,
    leads.lead_month as first_contact_month,
    deals.channel,
    deals.campaign_name
from {{ ref('int_deals__attributed') }} as deals
left join {{ ref('fct_leads') }} as leads
    on deals.first_contact_id = leads.contact_id
