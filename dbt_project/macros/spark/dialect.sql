{#- Spark SQL versions of the project's dispatched dialect macros (json.sql, types.sql, fx.sql).
    dbt-spark runs with ANSI mode off, so a cast that does not parse is null, as DuckDB's try_cast. -#}

{#- get_json_object: the text of a scalar (a JSON null is null), the JSON text of an object or array. -#}
{% macro spark__json_text(column, keys) -%}
  get_json_object({{ column }}, '${% for key in keys %}.{{ key }}{% endfor %}')
{%- endmacro %}

{% macro spark__json_fields(column, fields) -%}
  {%- for alias, keys in fields.items() %}
  {{ json_text(column, keys) }} as {{ alias }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}

{#- A lateral view, Spark's join of a generator: `alias.value` (JSON text) and `alias.position`
    (1-based) per element; a missing or empty array gives no rows. -#}
{% macro spark__json_elements(column, keys, alias) -%}
  lateral view inline(transform(
    from_json({{ json_text(column, keys) }}, 'array<string>'),
    (element, i) -> named_struct('position', i + 1, 'value', element)
  )) {{ alias }}
{%- endmacro %}

{#- Each array element parsed once into a struct of text fields (from_json), then exploded. -#}
{% macro spark__json_array_fields(relation, column, keys, fields, carry) -%}
  {%- set spec = [] -%}
  {%- for alias, element_keys in fields.items() -%}
    {%- if element_keys | length != 1 -%}
      {%- do exceptions.raise_compiler_error('json_array_fields reads top-level keys of an element, got ' ~ element_keys) -%}
    {%- endif -%}
    {%- do spec.append('`' ~ element_keys[0] ~ '`: string') -%}
  {%- endfor -%}
  (
    select
      {%- for name in carry %}
      records.{{ name }},
      {%- endfor %}
      elements.element_index + 1 as element_position,
      {%- for alias, element_keys in fields.items() %}
      elements.element.`{{ element_keys[0] }}` as {{ alias }}{% if not loop.last %},{% endif %}
      {%- endfor %}
    from {{ relation }} as records
    lateral view posexplode(
      from_json({{ json_text('records.' ~ column, keys) }}, 'array<struct<{{ spec | join(", ") }}>>')
    ) elements as element_index, element
  )
{%- endmacro %}

{#- In a select list: split() takes a regular expression, the separators used (chr(30)) are literal. -#}
{% macro spark__split_rows(column, separator) -%}
  explode(split({{ column }}, {{ separator }}))
{%- endmacro %}

{#- Parsed in the session time zone (UTC, profiles.yml), kept naive as DuckDB's column is. -#}
{% macro spark__utc_timestamp(expr) -%}
  cast(cast({{ expr }} as timestamp) as timestamp_ntz)
{%- endmacro %}

{% macro spark__iso_date(expr) -%}
  try_to_date({{ expr }}, 'yyyy-MM-dd')
{%- endmacro %}

{#- Spark's cast also takes exponents ('1e3') and surrounding blanks: the shape is checked first. -#}
{% macro spark__to_decimal(expr, precision, scale) -%}
  cast(case when trim({{ expr }}) rlike '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$' then trim({{ expr }}) end
    as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__to_integer(expr) -%}
  cast(case when trim({{ expr }}) rlike '^[+-]?[0-9]+$' then trim({{ expr }}) end as bigint)
{%- endmacro %}

{#- Spark's widest exact integer is decimal(38, 0). -#}
{% macro spark__exact_integer(expr) -%}
  cast({{ expr }} as decimal(38, 0))
{%- endmacro %}

{#- `div` is exact integral division (the quotient, in cents, fits a bigint). -#}
{% macro spark__round_div_half_away(n, d) -%}
  (case when ({{ n }}) < 0 then -1 else 1 end
    * ((abs({{ n }}) * 2 + ({{ d }})) div (({{ d }}) * 2)))
{%- endmacro %}

{% macro spark__fx_join(alias, currency_expr, day_expr) -%}
  {{ postgres__fx_join(alias, currency_expr, day_expr) }}
{%- endmacro %}

{#- Spark has no `double precision`. -#}
{% macro spark__safe_ratio(numerator, denominator) -%}
  cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0)
{%- endmacro %}

{#- Every day from `first_day` to `last_day` of the one row of `bounds` as `date_day`: one
    sequence, where a recursive CTE costs Spark a job per day. -#}
{% macro spark__day_spine(bounds, first_day, last_day) -%}
  select explode(sequence({{ first_day }}, {{ last_day }}, interval 1 day)) as date_day from {{ bounds }}
{%- endmacro %}
