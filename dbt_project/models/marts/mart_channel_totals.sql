-- One row per channel over every report month: the headline a person reads after a run and the
-- report's per-channel rates, re-totalled from mart_sales_vs_fulfilment's numerators and
-- denominators (never an average of monthly rates). Backlog is a stock, not a flow: it is the
-- last report month's, which is as of the clock.
with monthly as (
    select * from {{ ref('mart_sales_vs_fulfilment') }}
),

totals as (
    select
        channel,
        sum(spend) as spend,
        sum(leads) as leads,
        sum(deals) as deals,
        sum(contracts_signed) as contracts_signed,
        sum(booked_value) as booked_value,
        sum(shipped_value) as shipped_value,
        sum(delivered_value) as delivered_value,
        sum(case when month = (select max(month) from monthly) then backlog_value else 0 end)
            as backlog_value,
        sum(orphan_shipments) as orphan_shipments,
        sum(unshipped_contracts) as unshipped_contracts,
        sum(contracts_due) as contracts_due,
        sum(contracts_shipped_on_time) as contracts_shipped_on_time,
        sum(contracts_delivered_on_time) as contracts_delivered_on_time
    from monthly
    group by channel
)

select
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(spend as decimal(18, 2)) as spend,
    cast(leads as bigint) as leads,
    cast(deals as bigint) as deals,
    cast(contracts_signed as bigint) as contracts_signed,
    cast(booked_value as decimal(18, 2)) as booked_value,
    cast(shipped_value as decimal(18, 2)) as shipped_value,
    cast(delivered_value as decimal(18, 2)) as delivered_value,
    cast(backlog_value as decimal(18, 2)) as backlog_value,
    cast(orphan_shipments as bigint) as orphan_shipments,
    cast(unshipped_contracts as bigint) as unshipped_contracts,
    cast(contracts_due as bigint) as contracts_due,
    cast(contracts_shipped_on_time as bigint) as contracts_shipped_on_time,
    cast(contracts_delivered_on_time as bigint) as contracts_delivered_on_time,
    {{ safe_ratio('shipped_value', 'booked_value') }} as fulfilment_rate,
    {{ safe_ratio('contracts_shipped_on_time', 'contracts_due') }} as shipped_on_time_rate,
    {{ safe_ratio('contracts_delivered_on_time', 'contracts_due') }} as delivered_on_time_rate
from totals
