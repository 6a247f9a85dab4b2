-- Dagster shows this test as the asset check `totals_reconcile_with_facts` of mart_sales_vs_fulfilment
-- (dagster-dbt attaches a test that reads several models by meta.dagster.ref); an error stops the
-- build, so nothing is published. Failing rows are kept for reading (store_failures). dagster-dbt
-- attaches it only to a model it depends on, and the view reads the mart:
-- depends_on: {{ ref('mart_sales_vs_fulfilment') }}
{{ config(
    severity='error',
    store_failures=(target.type != 'spark'),
    meta={'dagster': {'ref': {'name': 'mart_sales_vs_fulfilment'}}},
) }}
-- Spend, booked, shipped and delivered value in mart_sales_vs_fulfilment equal the same sums over
-- fct_ad_spend, fct_contract_lines and fct_shipment_lines for every month and channel, to the cent
-- (dq_totals_reconciliation); every fact amount has an FX rate to the reporting currency; a measure
-- the mart sums to zero (or none) over facts with amounts fails. Each failing row names the problem,
-- the measure, the month and the channel (none for a whole measure), with both totals.
with cells as (
    select * from {{ ref('dq_totals_reconciliation') }}
),

measures as (
    select measure, sum(mart_total) as mart_total, sum(fact_total) as fact_total,
        sum(input_rows) as input_rows, sum(unconverted_rows) as unconverted_rows
    from cells
    group by measure
)

select cast('totals differ' as {{ dbt.type_string() }}) as problem, measure, month, channel,
    mart_total, fact_total, input_rows, unconverted_rows
from cells
where coalesce(mart_total, 0) <> coalesce(fact_total, 0)
union all
select 'fact rows without an FX rate to the reporting currency', measure, month, channel,
    mart_total, fact_total, input_rows, unconverted_rows
from cells
where unconverted_rows > 0
union all
select 'the mart sums to zero over fact rows with amounts', measure, cast(null as date),
    cast(null as {{ dbt.type_string() }}), mart_total, fact_total, input_rows, unconverted_rows
from measures
where input_rows > 0 and coalesce(mart_total, 0) = 0
