-- Dagster shows this test as the asset check `sales_vs_fulfilment_splits_reconcile` of
-- mart_sales_vs_fulfilment (dagster-dbt attaches a test that reads several models by meta.dagster.ref);
-- an error stops the build, so nothing is published. Failing rows are kept for reading (store_failures).
{{ config(
    severity='error',
    store_failures=(target.type != 'spark'),
    meta={'dagster': {'ref': {'name': 'mart_sales_vs_fulfilment'}}},
) }}
-- mart_sales_vs_fulfilment_by_product and _by_customer, summed over their split, equal
-- mart_sales_vs_fulfilment for every month and channel, to the cent. Each failing row names the
-- split, the month, the channel and the measure, with both totals.
with base as (
    select month, channel, contracts_signed, booked_value, shipped_value, delivered_value,
        backlog_value, unshipped_contracts
    from {{ ref('mart_sales_vs_fulfilment') }}
),

by_product as (
    select month, channel, sum(booked_value) as booked_value, sum(shipped_value) as shipped_value,
        sum(delivered_value) as delivered_value, sum(backlog_value) as backlog_value
    from {{ ref('mart_sales_vs_fulfilment_by_product') }}
    group by month, channel
),

by_customer as (
    select month, channel, sum(contracts_signed) as contracts_signed,
        sum(booked_value) as booked_value, sum(shipped_value) as shipped_value,
        sum(delivered_value) as delivered_value, sum(backlog_value) as backlog_value,
        sum(unshipped_contracts) as unshipped_contracts
    from {{ ref('mart_sales_vs_fulfilment_by_customer') }}
    group by month, channel
),

totals as (
    {%- for split, measures in [
        ('by_product', ['booked_value', 'shipped_value', 'delivered_value', 'backlog_value']),
        ('by_customer', ['contracts_signed', 'booked_value', 'shipped_value', 'delivered_value',
                         'backlog_value', 'unshipped_contracts']),
    ] %}
    {%- for measure in measures %}
    {% if not loop.first or split != 'by_product' %}union all{% endif %}
    select '{{ split }}' as split, coalesce(base.month, {{ split }}.month) as month,
        coalesce(base.channel, {{ split }}.channel) as channel, '{{ measure }}' as measure,
        cast(coalesce(base.{{ measure }}, 0) as decimal(38, 2)) as month_channel_total,
        cast(coalesce({{ split }}.{{ measure }}, 0) as decimal(38, 2)) as split_total
    from base
    full outer join {{ split }}
        on base.month = {{ split }}.month and base.channel = {{ split }}.channel
    {%- endfor %}
    {%- endfor %}
)

select * from totals
where month_channel_total <> split_total
