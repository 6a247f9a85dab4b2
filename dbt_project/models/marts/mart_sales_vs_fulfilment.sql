-- Month x channel: what sales produced against what fulfilment delivered (CONTRACTS §5).
-- Every figure is summed from per-row converted amounts; a month x channel with only zeros is
-- left out, as in the ground truth.
with months as (
    select * from {{ ref('int_report_months__spined') }}
),

spend as (
    select {{ month_of('ad_date') }} as report_month, platform as channel,
        sum(spend_reporting) as spend
    from {{ ref('fct_ad_spend') }}
    group by 1, 2
),

leads as (
    select {{ month_of('created_date') }} as report_month, channel, count(*) as leads
    from {{ ref('fct_leads') }}
    group by 1, 2
),

deals as (
    select {{ month_of('created_date') }} as report_month, channel, count(*) as deals
    from {{ ref('fct_deals') }}
    group by 1, 2
),

contracts as (
    select {{ month_of('signed_date') }} as report_month, channel, count(*) as contracts_signed
    from {{ ref('fct_contracts') }}
    group by 1, 2
),

booked as (
    select {{ month_of('signed_date') }} as report_month, channel, sum(booked_value) as booked_value
    from {{ ref('fct_contract_lines') }}
    group by 1, 2
),

shipped as (
    select {{ month_of('ship_date') }} as report_month, channel, sum(shipped_value) as shipped_value
    from {{ ref('fct_shipment_lines') }}
    group by 1, 2
),

delivered as (
    select {{ month_of('delivered_date') }} as report_month, channel,
        sum(shipped_value) as delivered_value
    from {{ ref('fct_shipment_lines') }}
    where delivered_date is not null
    group by 1, 2
),

backlog as (
    select report_month, channel, sum(backlog_value) as backlog_value
    from {{ ref('int_contract_lines__backlog_monthly') }}
    group by 1, 2
),

orphans as (
    select {{ month_of('ship_date') }} as report_month, 'unattributed' as channel,
        count(*) as orphan_shipments
    from {{ ref('fct_shipments') }}
    where is_orphan
    group by 1, 2
),

unshipped as (
    select {{ month_of('signed_date') }} as report_month, channel, count(*) as unshipped_contracts
    from {{ ref('fct_contracts') }}
    where is_unshipped
    group by 1, 2
),

-- timeliness over the contracts that are due (promised before the clock), by month of signing
on_time as (
    select {{ month_of('signed_date') }} as report_month, channel,
        count(*) as contracts_due,
        sum(case when is_shipped_on_time then 1 else 0 end) as contracts_shipped_on_time,
        sum(case when is_delivered_on_time then 1 else 0 end) as contracts_delivered_on_time
    from {{ ref('fct_contracts') }}
    where is_due
    group by 1, 2
),

keys as (
    select report_month, channel from spend
    union select report_month, channel from leads
    union select report_month, channel from deals
    union select report_month, channel from contracts
    union select report_month, channel from booked
    union select report_month, channel from shipped
    union select report_month, channel from delivered
    union select report_month, channel from backlog
    union select report_month, channel from orphans
    union select report_month, channel from unshipped
),

joined as (
    select
        keys.report_month as month,
        cast(keys.channel as {{ dbt.type_string() }}) as channel,
        cast(coalesce(spend.spend, 0) as decimal(18, 2)) as spend,
        cast(coalesce(leads.leads, 0) as bigint) as leads,
        cast(coalesce(deals.deals, 0) as bigint) as deals,
        cast(coalesce(contracts.contracts_signed, 0) as bigint) as contracts_signed,
        cast(coalesce(booked.booked_value, 0) as decimal(18, 2)) as booked_value,
        cast(coalesce(shipped.shipped_value, 0) as decimal(18, 2)) as shipped_value,
        cast(coalesce(delivered.delivered_value, 0) as decimal(18, 2)) as delivered_value,
        cast(coalesce(backlog.backlog_value, 0) as decimal(18, 2)) as backlog_value,
        cast(coalesce(orphans.orphan_shipments, 0) as bigint) as orphan_shipments,
        cast(coalesce(unshipped.unshipped_contracts, 0) as bigint) as unshipped_contracts,
        cast(coalesce(on_time.contracts_due, 0) as bigint) as contracts_due,
        cast(coalesce(on_time.contracts_shipped_on_time, 0) as bigint) as contracts_shipped_on_time,
        cast(coalesce(on_time.contracts_delivered_on_time, 0) as bigint) as contracts_delivered_on_time
    from keys
    inner join months on keys.report_month = months.report_month
    left join spend on keys.report_month = spend.report_month and keys.channel = spend.channel
    left join leads on keys.report_month = leads.report_month and keys.channel = leads.channel
    left join deals on keys.report_month = deals.report_month and keys.channel = deals.channel
    left join contracts
        on keys.report_month = contracts.report_month and keys.channel = contracts.channel
    left join booked on keys.report_month = booked.report_month and keys.channel = booked.channel
    left join shipped on keys.report_month = shipped.report_month and keys.channel = shipped.channel
    left join delivered
        on keys.report_month = delivered.report_month and keys.channel = delivered.channel
    left join backlog on keys.report_month = backlog.report_month and keys.channel = backlog.channel
    left join orphans on keys.report_month = orphans.report_month and keys.channel = orphans.channel
    left join unshipped
        on keys.report_month = unshipped.report_month and keys.channel = unshipped.channel
    left join on_time on keys.report_month = on_time.report_month and keys.channel = on_time.channel
)

select
    month,
    channel,
    spend,
    leads,
    deals,
    contracts_signed,
    booked_value,
    shipped_value,
    delivered_value,
    backlog_value,
    orphan_shipments,
    unshipped_contracts,
    -- every rate's numerator and denominator are columns too, so BI re-totals them by summing
    contracts_due,
    contracts_shipped_on_time,
    contracts_delivered_on_time,
    {{ safe_ratio('shipped_value', 'booked_value') }} as fulfilment_rate,
    {{ safe_ratio('delivered_value', 'shipped_value') }} as delivery_rate,
    {{ safe_ratio('contracts_shipped_on_time', 'contracts_due') }} as shipped_on_time_rate,
    {{ safe_ratio('contracts_delivered_on_time', 'contracts_due') }} as delivered_on_time_rate,
    {{ safe_ratio('booked_value', 'spend') }} as roas_booked,
    {{ safe_ratio('delivered_value', 'spend') }} as roas_delivered
from joined
where spend <> 0 or leads <> 0 or deals <> 0 or contracts_signed <> 0 or booked_value <> 0
    or shipped_value <> 0 or delivered_value <> 0 or backlog_value <> 0 or orphan_shipments <> 0
    or unshipped_contracts <> 0
