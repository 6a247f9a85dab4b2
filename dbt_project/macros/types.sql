{#- Type conversions the staging models share, portable across DuckDB and PostgreSQL. -#}

{#- A vendor ISO-8601 timestamp (any offset, up to 7 fractional digits) as a naive UTC timestamp. -#}
{% macro utc_timestamp(expr) -%}
  {{ return(adapter.dispatch('utc_timestamp', 'hub')(expr)) }}
{%- endmacro %}

{% macro default__utc_timestamp(expr) -%}
  cast(cast({{ expr }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- A 'YYYY-MM-DD' (optionally followed by a time the vendor pins to 00:00 UTC) as a date. -#}
{% macro iso_date(expr) -%}
  cast(substring({{ expr }}, 1, 10) as date)
{%- endmacro %}

{#- A decimal string as an exact decimal: vendor money and FX never pass through floating point. -#}
{% macro to_decimal(expr, precision=38, scale=6) -%}
  cast({{ expr }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- First day of the month of a date, as a date. -#}
{% macro month_of(expr) -%}
  cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{#- numerator / denominator as a double, null when the denominator is zero or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
  cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}

{#- In an incremental staging model: only the raw rows the connectors wrote since the last build.
    The raw tables are merged on their key and stamp `_loaded_at` on every write, so a restated
    or updated record is always re-read. -#}
{% macro loaded_since_last_build() -%}
  {%- if is_incremental() %}
  where _loaded_at > (select max(_loaded_at) from {{ this }})
  {%- endif %}
{%- endmacro %}
