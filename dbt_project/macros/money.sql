{#- An amount in cents per count, rounded half away from zero (CONTRACTS.md §5), null for a zero or
    null count: on integers, since a double in between lands ties like 1164.85 / 2 on either side
    depending on the engine (DuckDB 582.42, Spark 582.43). -#}
{% macro money_per(amount, count) -%}
  cast(
    cast({{ round_div_half_away(exact_integer('cast(' ~ amount ~ ' as decimal(38, 2)) * 100'),
                                exact_integer('nullif(' ~ count ~ ', 0)')) }} as decimal(38, 0)) * 0.01
    as decimal(18, 2))
{%- endmacro %}
