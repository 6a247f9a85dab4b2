-- MetricFlow's day spine (its semantic manifest requires one): the report days of dim_date.
{{ config(materialized='view') }}

select date_day
from {{ ref('dim_date') }}
