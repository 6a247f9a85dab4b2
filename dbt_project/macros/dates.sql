{#- Every day from `first_day` to `last_day` (columns of the one-row relation `bounds`) as rows
    `date_day`: a recursive CTE here, one sequence on Spark (macros/spark/dialect.sql). -#}
{% macro day_spine(bounds, first_day, last_day) -%}
  {{ return(adapter.dispatch('day_spine', 'hub')(bounds, first_day, last_day)) }}
{%- endmacro %}

{% macro default__day_spine(bounds, first_day, last_day) -%}
  with recursive spine as (
      select {{ first_day }} as date_day, {{ last_day }} as last_day
      from {{ bounds }}
      union all
      select cast({{ dbt.dateadd('day', 1, 'date_day') }} as date), last_day
      from spine
      where date_day < last_day
  )
  select date_day from spine
{%- endmacro %}
