-- Month x channel x product (SKU): the contract side of mart_sales_vs_fulfilment split by the
-- SKU of each contract line (CONTRACTS §5). Booked, shipped, delivered and backlog sum to the
-- month x channel figures; spend, leads, deals and orphan shipments have no product and stay
-- in mart_sales_vs_fulfilment. A month x channel x SKU with only zeros is left out.
with months as (
    select report_month from {{ ref('int_report_months__spined') }}
),

booked as (
    select {{ month_of('signed_date') }} as report_month, channel, sku,
        count(*) as contract_lines_signed,
        sum(quantity) as booked_quantity,
        sum(booked_value) as booked_value
    from {{ ref('fct_contract_lines') }}
    group by 1, 2, 3
),

shipped as (
    select ship_month as report_month, channel, sku,
        sum(shipped_quantity) as shipped_quantity,
        sum(shipped_value) as shipped_value
    from {{ ref('fct_shipment_lines') }}
    group by 1, 2, 3
),

delivered as (
    select {{ month_of('delivered_date') }} as report_month, channel, sku,
        sum(shipped_quantity) as delivered_quantity,
        sum(shipped_value) as delivered_value
    from {{ ref('fct_shipment_lines') }}
    where delivered_date is not null
    group by 1, 2, 3
),

backlog as (
    select report_month, channel, sku,
        sum(backlog_quantity) as backlog_quantity,
        sum(backlog_value) as backlog_value
    from {{ ref('int_contract_lines__backlog_monthly') }}
    group by 1, 2, 3
),

keys as (
    select report_month, channel, sku from booked
    union select report_month, channel, sku from shipped
    union select report_month, channel, sku from delivered
    union select report_month, channel, sku from backlog
),

joined as (
    select
        keys.report_month as month,
        cast(keys.channel as {{ dbt.type_string() }}) as channel,
        cast(keys.sku as {{ dbt.type_string() }}) as sku,
        cast(products.product_name as {{ dbt.type_string() }}) as product_name,
        cast(coalesce(booked.contract_lines_signed, 0) as bigint) as contract_lines_signed,
        cast(coalesce(booked.booked_quantity, 0) as decimal(18, 6)) as booked_quantity,
        cast(coalesce(booked.booked_value, 0) as decimal(18, 2)) as booked_value,
        cast(coalesce(shipped.shipped_quantity, 0) as decimal(18, 6)) as shipped_quantity,
        cast(coalesce(shipped.shipped_value, 0) as decimal(18, 2)) as shipped_value,
        cast(coalesce(delivered.delivered_quantity, 0) as decimal(18, 6)) as delivered_quantity,
        cast(coalesce(delivered.delivered_value, 0) as decimal(18, 2)) as delivered_value,
        cast(coalesce(backlog.backlog_quantity, 0) as decimal(18, 6)) as backlog_quantity,
        cast(coalesce(backlog.backlog_value, 0) as decimal(18, 2)) as backlog_value
    from keys
    inner join months on keys.report_month = months.report_month
    -- `is not distinct from`: a line without a SKU keeps its own (null) product row
    left join booked on keys.report_month = booked.report_month and keys.channel = booked.channel
        and keys.sku is not distinct from booked.sku
    left join shipped on keys.report_month = shipped.report_month and keys.channel = shipped.channel
        and keys.sku is not distinct from shipped.sku
    left join delivered on keys.report_month = delivered.report_month
        and keys.channel = delivered.channel and keys.sku is not distinct from delivered.sku
    left join backlog on keys.report_month = backlog.report_month and keys.channel = backlog.channel
        and keys.sku is not distinct from backlog.sku
    left join {{ ref('dim_product') }} as products on keys.sku = products.sku
)

select
    month,
    channel,
    sku,
    product_name,
    contract_lines_signed,
    booked_quantity,
    booked_value,
    shipped_quantity,
    shipped_value,
    delivered_quantity,
    delivered_value,
    backlog_quantity,
    backlog_value,
    {{ safe_ratio('shipped_value', 'booked_value') }} as fulfilment_rate,
    {{ safe_ratio('delivered_value', 'shipped_value') }} as delivery_rate
from joined
where contract_lines_signed <> 0 or booked_value <> 0 or shipped_quantity <> 0 or shipped_value <> 0
    or delivered_quantity <> 0 or delivered_value <> 0 or backlog_quantity <> 0 or backlog_value <> 0
