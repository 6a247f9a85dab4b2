{#- Type conversions the staging models share, portable across DuckDB and PostgreSQL.

    Every vendor value is parsed, never cast: a value that does not parse is null, and the staging
    model lists it in `_invalid_values` (see `invalid_values`), which `dq_quarantined_values`
    reports. One bad value quarantines itself instead of failing the night (CONTRACTS.md §5). -#}

{#- A vendor ISO-8601 timestamp (any offset, up to 7 fractional digits) as a naive UTC timestamp. -#}
{% macro utc_timestamp(expr) -%}
  {{ return(adapter.dispatch('utc_timestamp', 'hub')(expr)) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp(expr) -%}
  cast(try_cast({{ expr }} as timestamp with time zone) at time zone 'UTC' as timestamp)
{%- endmacro %}

{#- PostgreSQL has no try_cast: the ISO-8601 shape is checked first (an impossible day still fails). -#}
{% macro postgres__utc_timestamp(expr) -%}
  case when {{ expr }} ~ '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$'
    then cast(cast({{ expr }} as timestamp with time zone) at time zone 'UTC' as timestamp) end
{%- endmacro %}

{#- A date in the one format the vendors document, 'YYYY-MM-DD'; anything else ('20/02/2026') is null. -#}
{% macro iso_date(expr) -%}
  {{ return(adapter.dispatch('iso_date', 'hub')(expr)) }}
{%- endmacro %}

{% macro duckdb__iso_date(expr) -%}
  cast(try_strptime({{ expr }}, '%Y-%m-%d') as date)
{%- endmacro %}

{% macro postgres__iso_date(expr) -%}
  cast(case when {{ expr }} ~ '^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$' then {{ expr }} end as date)
{%- endmacro %}

{#- The UTC day of a 'YYYY-MM-DD' date or of an ISO-8601 timestamp with an offset: converted,
    never cut off ('2026-01-24T19:00:00-05:00' is 2026-01-25). -#}
{% macro utc_date(expr) -%}
  case when length({{ expr }}) = 10 then {{ iso_date(expr) }}
    else cast({{ utc_timestamp(expr) }} as date) end
{%- endmacro %}

{#- A decimal string as an exact decimal: vendor money and FX never pass through floating point.
    A European '1.234,56' or 'N/A' is null. -#}
{% macro to_decimal(expr, precision=38, scale=6) -%}
  {{ return(adapter.dispatch('to_decimal', 'hub')(expr, precision, scale)) }}
{%- endmacro %}

{% macro duckdb__to_decimal(expr, precision, scale) -%}
  try_cast({{ expr }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- The cast outside the case keeps the column's precision and scale (a case drops them). -#}
{% macro postgres__to_decimal(expr, precision, scale) -%}
  cast(case when trim({{ expr }}) ~ '^[+-]?(\d+(\.\d*)?|\.\d+)$' then trim({{ expr }}) end
    as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- A whole number (counts: impressions, clicks, routing order); 'N/A' is null. -#}
{% macro to_integer(expr) -%}
  {{ return(adapter.dispatch('to_integer', 'hub')(expr)) }}
{%- endmacro %}

{% macro duckdb__to_integer(expr) -%}
  try_cast({{ expr }} as bigint)
{%- endmacro %}

{% macro postgres__to_integer(expr) -%}
  cast(case when trim({{ expr }}) ~ '^[+-]?\d+$' then trim({{ expr }}) end as bigint)
{%- endmacro %}

{#- The parser of each kind of value and the reason a value of that kind is quarantined. -#}
{% macro parsed(kind, expr) -%}
  {%- if kind == 'decimal' -%}{{ to_decimal(expr) }}
  {%- elif kind == 'integer' -%}{{ to_integer(expr) }}
  {%- elif kind == 'date' -%}{{ iso_date(expr) }}
  {%- elif kind == 'utc_date' -%}{{ utc_date(expr) }}
  {%- elif kind == 'timestamp' -%}{{ utc_timestamp(expr) }}
  {%- else -%}{% do exceptions.raise_compiler_error('parsed: unknown kind ' ~ kind) %}
  {%- endif -%}
{%- endmacro %}

{% macro parse_reason(kind) -%}
  {%- set reasons = {
    'decimal': 'not a decimal number (digits, a point before decimals)',
    'integer': 'not a whole number',
    'date': 'not a YYYY-MM-DD date',
    'utc_date': 'not a YYYY-MM-DD date or ISO-8601 timestamp',
    'timestamp': 'not an ISO-8601 timestamp',
  } -%}
  {{- reasons[kind] -}}
{%- endmacro %}

{#- `_invalid_values`: the values of `checks` ({column: (kind, raw text expr)}) that are present
    but do not parse, as entries `column<US>raw value<US>reason` joined by <RS> (ASCII unit and
    record separators, which no vendor value holds); null when every value parses, which keeps
    the column empty and cheap. `dq_quarantined_values` splits it. -#}
{% macro invalid_values(checks) -%}
  nullif(concat_ws(chr(30)
  {%- for column, (kind, expr) in checks.items() %},
    case when nullif(trim({{ expr }}), '') is not null and {{ parsed(kind, expr) }} is null
      then '{{ column }}' || chr(31) || {{ expr }} || chr(31) || '{{ parse_reason(kind) }}' end
  {%- endfor %}
  ), '') as _invalid_values
{%- endmacro %}

{#- First day of the month of a date, as a date. -#}
{% macro month_of(expr) -%}
  cast({{ dbt.date_trunc('month', expr) }} as date)
{%- endmacro %}

{#- numerator / denominator as a double, null when the denominator is zero or null. -#}
{% macro safe_ratio(numerator, denominator) -%}
  {{ return(adapter.dispatch('safe_ratio', 'hub')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_ratio(numerator, denominator) -%}
  cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0)
{%- endmacro %}

{#- In an incremental staging model: only the raw rows the connectors wrote since the last build.
    The raw tables are merged on their key and stamp `_loaded_at` on every write, so a restated
    or updated record is always re-read. An empty model has no watermark: it reads every raw row
    (a first night with an empty stream compared with null and never read anything again). The
    connectors' loads wait for dbt's lock on the warehouse, so no row is stamped before the
    watermark but written after the model read raw. -#}
{% macro loaded_since_last_build() -%}
  {%- if is_incremental() %}
  where _loaded_at > (select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
  {%- endif %}
{%- endmacro %}

{#- A pre-hook of a staging model with a row per element of an array of its raw record (items,
    signers, associations): in an incremental build, first delete the rows of every record loaded
    since the last build. delete+insert replaces only the keys the new rows carry, so a record
    sent again with an emptied array kept its old elements (a full refresh has none).
    `key_columns` of the model, as `parent_key_sql` reads them from the raw table. -#}
{% macro delete_rows_of_reloaded_records(source_relation, key_columns, parent_key_sql) -%}
  {%- if is_incremental() -%}
  {{ hub_delete_rows(this, '(' ~ key_columns ~ ') in (select ' ~ parent_key_sql ~ ' from ' ~ source_relation
    ~ " where _loaded_at > (select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from " ~ this ~ '))') }}
  {%- endif -%}
{%- endmacro %}
