-- Month x channel x customer: the contract side of mart_sales_vs_fulfilment split by the
-- customer identified for each contract (CONTRACTS §5). Contracts signed, booked, shipped,
-- delivered, backlog and unshipped contracts sum to the month x channel figures; spend, leads,
-- deals and orphan shipments have no customer and stay in mart_sales_vs_fulfilment. A month x
-- channel x customer with only zeros is left out.
with months as (
    select report_month from {{ ref('int_report_months__spined') }}
),

contracts as (
    select signed_month as report_month, channel, customer_id,
        count(*) as contracts_signed,
        sum(case when is_unshipped then 1 else 0 end) as unshipped_contracts
    from {{ ref('fct_contracts') }}
    group by 1, 2, 3
),

booked as (
    select {{ month_of('signed_date') }} as report_month, channel, customer_id,
        sum(booked_value) as booked_value
    from {{ ref('fct_contract_lines') }}
    group by 1, 2, 3
),

shipped as (
    select ship_month as report_month, channel, customer_id, sum(shipped_value) as shipped_value
    from {{ ref('fct_shipment_lines') }}
    group by 1, 2, 3
),

delivered as (
    select {{ month_of('delivered_date') }} as report_month, channel, customer_id,
        sum(shipped_value) as delivered_value
    from {{ ref('fct_shipment_lines') }}
    where delivered_date is not null
    group by 1, 2, 3
),

backlog as (
    select report_month, channel, customer_id, sum(backlog_value) as backlog_value
    from {{ ref('int_contract_lines__backlog_monthly') }}
    group by 1, 2, 3
),

keys as (
    select report_month, channel, customer_id from contracts
    union select report_month, channel, customer_id from booked
    union select report_month, channel, customer_id from shipped
    union select report_month, channel, customer_id from delivered
    union select report_month, channel, customer_id from backlog
),

joined as (
    select
        keys.report_month as month,
        cast(keys.channel as {{ dbt.type_string() }}) as channel,
        cast(keys.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(customers.customer_name as {{ dbt.type_string() }}) as customer_name,
        cast(coalesce(contracts.contracts_signed, 0) as bigint) as contracts_signed,
        cast(coalesce(booked.booked_value, 0) as decimal(18, 2)) as booked_value,
        cast(coalesce(shipped.shipped_value, 0) as decimal(18, 2)) as shipped_value,
        cast(coalesce(delivered.delivered_value, 0) as decimal(18, 2)) as delivered_value,
        cast(coalesce(backlog.backlog_value, 0) as decimal(18, 2)) as backlog_value,
        cast(coalesce(contracts.unshipped_contracts, 0) as bigint) as unshipped_contracts
    from keys
    inner join months on keys.report_month = months.report_month
    left join contracts on keys.report_month = contracts.report_month
        and keys.channel = contracts.channel and keys.customer_id = contracts.customer_id
    left join booked on keys.report_month = booked.report_month and keys.channel = booked.channel
        and keys.customer_id = booked.customer_id
    left join shipped on keys.report_month = shipped.report_month and keys.channel = shipped.channel
        and keys.customer_id = shipped.customer_id
    left join delivered on keys.report_month = delivered.report_month
        and keys.channel = delivered.channel and keys.customer_id = delivered.customer_id
    left join backlog on keys.report_month = backlog.report_month and keys.channel = backlog.channel
        and keys.customer_id = backlog.customer_id
    left join {{ ref('dim_customer') }} as customers on keys.customer_id = customers.customer_id
)

select
    month,
    channel,
    customer_id,
    customer_name,
    contracts_signed,
    booked_value,
    shipped_value,
    delivered_value,
    backlog_value,
    unshipped_contracts,
    {{ safe_ratio('shipped_value', 'booked_value') }} as fulfilment_rate,
    {{ safe_ratio('delivered_value', 'shipped_value') }} as delivery_rate
from joined
where contracts_signed <> 0 or booked_value <> 0 or shipped_value <> 0 or delivered_value <> 0
    or backlog_value <> 0 or unshipped_contracts <> 0
