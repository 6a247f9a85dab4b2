{{ config(materialized='view') }}
-- The shares of rows that signal a broken join, one row per blocking check of pipelines/checks/marts.py:
-- the check holds problem_rows / total_rows under its HUB_MAX_* threshold (read when it runs, so
-- the comparison stays in Dagster). A view, so the check judges the tables as they are.
select
    cast('orphan_shipment_rate_under_threshold' as {{ dbt.type_string() }}) as check_name,
    -- counted shipments (label purchased, with a ship date) whose order id matches no contract
    cast(count(case when is_orphan then 1 end) as bigint) as problem_rows,
    cast(count(case when is_counted then 1 end) as bigint) as total_rows
from {{ ref('fct_shipments') }}
union all
select
    'unattributed_lead_rate_under_threshold',
    cast(count(case when channel = 'unattributed' then 1 end) as bigint),
    cast(count(*) as bigint)
from {{ ref('fct_leads') }}
