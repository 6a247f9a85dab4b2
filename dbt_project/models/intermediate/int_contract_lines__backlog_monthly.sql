-- Backlog per contract line at each month end (CONTRACTS §5): from the signing month to the last
-- report month, max(quantity - shipped by month end, 0) at the line price and signing-day rate.
-- Channel, customer and SKU ride along so the month x channel marts split it the same way.
with lines as (
    select * from {{ ref('int_contract_lines__converted') }}
),

shipped_by_month as (
    select
        contract_line_id,
        {{ month_of('ship_date') }} as ship_month,
        sum(shipped_quantity) as shipped_quantity
    from {{ ref('int_shipment_lines__matched') }}
    group by contract_line_id, {{ month_of('ship_date') }}
),

line_months as (
    select
        lines.contract_line_id,
        lines.contract_number,
        lines.channel,
        lines.customer_id,
        lines.sku,
        lines.quantity,
        lines.unit_price,
        lines.rate_to_scaled,
        lines.rate_from_scaled,
        months.report_month,
        coalesce(shipped_by_month.shipped_quantity, 0) as shipped_in_month
    from lines
    inner join {{ ref('int_report_months__spined') }} as months
        on months.report_month >= {{ month_of('lines.signed_date') }}
    left join shipped_by_month
        on lines.contract_line_id = shipped_by_month.contract_line_id
        and months.report_month = shipped_by_month.ship_month
),

cumulative as (
    select
        *,
        sum(shipped_in_month) over (
            partition by contract_line_id
            order by report_month
            rows between unbounded preceding and current row
        ) as shipped_to_date
    from line_months
),

-- shipments dated before the signing month still count towards the first month's shipped total
early as (
    select lines.contract_line_id, sum(shipped_by_month.shipped_quantity) as shipped_before_signing
    from lines
    inner join shipped_by_month
        on lines.contract_line_id = shipped_by_month.contract_line_id
        and shipped_by_month.ship_month < {{ month_of('lines.signed_date') }}
    group by lines.contract_line_id
),

to_date as (
    select
        cumulative.contract_line_id,
        cumulative.contract_number,
        cumulative.channel,
        cumulative.customer_id,
        cumulative.sku,
        cumulative.report_month,
        cumulative.quantity,
        cumulative.unit_price,
        cumulative.rate_to_scaled,
        cumulative.rate_from_scaled,
        cumulative.shipped_to_date + coalesce(early.shipped_before_signing, 0) as shipped_to_date
    from cumulative
    left join early
        on cumulative.contract_line_id = early.contract_line_id
),

backlog as (
    select
        *,
        -- over-shipment never turns into negative backlog
        cast(greatest(quantity - shipped_to_date, 0) as decimal(38, 6)) as backlog_quantity
    from to_date
)

-- No surrogate key or contract number, and only the line-months with something still to ship: the
-- marts only sum backlog by month, channel, customer and SKU, and a month x channel with only zeros
-- is left out of them, so a zero row changes nothing there. On large that is 53k of 274k rows,
-- rebuilt every night and read by three marts.
select
    contract_line_id,
    channel,
    customer_id,
    sku,
    report_month,
    quantity,
    shipped_to_date,
    backlog_quantity,
    {{ fx_convert('backlog_quantity * unit_price', 'rate_to_scaled', 'rate_from_scaled') }} as backlog_value
from backlog
where backlog_quantity > 0
