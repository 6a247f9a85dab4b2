-- Month x channel x campaign: the sales funnel from spend to booked value. Leads, deals and
-- contracts take the campaign of the contact that brought them ('(none)' off the paid channels).
-- Lead-to-contract rate follows the lead cohort: contracts whose deal's first contact was created
-- in the month, over the leads created in it.
with months as (
    select report_month from {{ ref('int_report_months__spined') }}
),

spend as (
    select {{ month_of('ad_date') }} as report_month, platform as channel, campaign_name,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by 1, 2, 3
),

leads as (
    select lead_month as report_month, channel, coalesce(campaign_name, '(none)') as campaign_name,
        count(*) as leads
    from {{ ref('fct_leads') }}
    group by 1, 2, 3
),

deals as (
    select deal_month as report_month, channel, coalesce(campaign_name, '(none)') as campaign_name,
        count(*) as deals
    from {{ ref('fct_deals') }}
    group by 1, 2, 3
),

contracts as (
    select signed_month as report_month, channel, coalesce(campaign_name, '(none)') as campaign_name,
        count(*) as contracts_signed,
        sum(booked_value) as booked_value
    from {{ ref('fct_contracts') }}
    group by 1, 2, 3
),

cohort_contracts as (
    select deals.first_contact_month as report_month, deals.channel,
        coalesce(deals.campaign_name, '(none)') as campaign_name,
        count(*) as cohort_contracts
    from {{ ref('fct_contracts') }} as contracts
    inner join {{ ref('fct_deals') }} as deals on contracts.deal_id = deals.deal_id
    where deals.first_contact_month is not null
    group by 1, 2, 3
),

keys as (
    select report_month, channel, campaign_name from spend
    union select report_month, channel, campaign_name from leads
    union select report_month, channel, campaign_name from deals
    union select report_month, channel, campaign_name from contracts
    union select report_month, channel, campaign_name from cohort_contracts
),

joined as (
    select
        keys.report_month as month,
        cast(keys.channel as {{ dbt.type_string() }}) as channel,
        cast(keys.campaign_name as {{ dbt.type_string() }}) as campaign_name,
        cast(coalesce(spend.spend, 0) as decimal(18, 2)) as spend,
        cast(coalesce(leads.leads, 0) as bigint) as leads,
        cast(coalesce(deals.deals, 0) as bigint) as deals,
        cast(coalesce(contracts.contracts_signed, 0) as bigint) as contracts_signed,
        cast(coalesce(contracts.booked_value, 0) as decimal(18, 2)) as booked_value,
        cast(coalesce(cohort_contracts.cohort_contracts, 0) as bigint) as cohort_contracts
    from keys
    inner join months on keys.report_month = months.report_month
    left join spend on keys.report_month = spend.report_month and keys.channel = spend.channel
        and keys.campaign_name = spend.campaign_name
    left join leads on keys.report_month = leads.report_month and keys.channel = leads.channel
        and keys.campaign_name = leads.campaign_name
    left join deals on keys.report_month = deals.report_month and keys.channel = deals.channel
        and keys.campaign_name = deals.campaign_name
    left join contracts on keys.report_month = contracts.report_month
        and keys.channel = contracts.channel and keys.campaign_name = contracts.campaign_name
    left join cohort_contracts on keys.report_month = cohort_contracts.report_month
        and keys.channel = cohort_contracts.channel
        and keys.campaign_name = cohort_contracts.campaign_name
)

select
    month,
    channel,
    campaign_name,
    spend,
    leads,
    deals,
    contracts_signed,
    booked_value,
    cohort_contracts,
    {{ money_per('spend', 'leads') }} as cost_per_lead,
    {{ money_per('spend', 'contracts_signed') }} as customer_acquisition_cost,
    {{ safe_ratio('cohort_contracts', 'leads') }} as lead_to_contract_rate,
    {{ safe_ratio('booked_value', 'spend') }} as roas_booked
from joined
