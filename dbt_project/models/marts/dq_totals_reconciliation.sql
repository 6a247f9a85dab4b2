{{ config(materialized='view') }}
-- Each additive measure of mart_sales_vs_fulfilment against the fact rows it must sum to, with what
-- the facts hold before conversion: the blocking check `totals_reconcile_with_facts`
-- (pipelines/checks/marts.py) only reports these rows. A view, so the check judges the tables as
-- they are when it runs. The facts are cut at the end of the mart's last month, so a report clock
-- earlier than the data is no difference; an empty mart cuts nothing, so facts it left out count.
{%- set measures = {
    'spend': ('fct_ad_spend', 'spend_reporting', 'ad_date', 'spend'),
    'booked_value': ('fct_contract_lines', 'booked_value', 'signed_date', 'line_value'),
    'shipped_value': ('fct_shipment_lines', 'shipped_value', 'ship_date', 'shipped_quantity * unit_price'),
    'delivered_value': ('fct_shipment_lines', 'shipped_value', 'delivered_date', 'shipped_quantity * unit_price'),
} %}
with mart as (
    select
        {%- for measure in measures %}
        sum({{ measure }}) as {{ measure }},
        {%- endfor %}
        coalesce(cast({{ dbt.dateadd('month', 1, 'max(month)') }} as date), cast('9999-12-31' as date))
            as mart_end
    from {{ ref('mart_sales_vs_fulfilment') }}
)

{% for measure, (fact, value, day, amount) in measures.items() %}
select
    cast('{{ measure }}' as {{ dbt.type_string() }}) as measure,
    cast((select {{ measure }} from mart) as decimal(38, 2)) as mart_total,
    cast(sum({{ value }}) as decimal(38, 2)) as fact_total,
    -- fact rows with a non-zero amount in their own currency
    cast(count(case when {{ amount }} <> 0 then 1 end) as bigint) as input_rows,
    -- fact rows with an amount but no reporting amount: no FX rate to the reporting currency
    cast(count(case when {{ amount }} is not null and {{ value }} is null then 1 end) as bigint)
        as unconverted_rows
from {{ ref(fact) }}
where {{ day }} < (select mart_end from mart)
{% if not loop.last %}union all{% endif %}
{% endfor %}
