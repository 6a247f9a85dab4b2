{#- JSON access behind dispatch: DuckDB's json functions and PostgreSQL's jsonb operators. -#}

{% macro json_text(column, keys) -%}
  {{ return(adapter.dispatch('json_text', 'hub')(column, keys)) }}
{%- endmacro %}

{#- The text at a path of object keys (a list), null when absent; a JSON null reads as null. -#}
{% macro duckdb__json_text(column, keys) -%}
  json_extract_string({{ column }}, '${% for key in keys %}."{{ key }}"{% endfor %}')
{%- endmacro %}

{% macro postgres__json_text(column, keys) -%}
  (cast({{ column }} as jsonb) #>> '{ {{- keys | join(",") -}} }')
{%- endmacro %}


{% macro json_elements(column, keys, alias) -%}
  {{ return(adapter.dispatch('json_elements', 'hub')(column, keys, alias)) }}
{%- endmacro %}

{#- A join clause turning the JSON array at `keys` into rows `alias.value` (json) with `alias.position`
    (1-based); rows whose array is missing or empty produce nothing. -#}
{% macro duckdb__json_elements(column, keys, alias) -%}
  cross join unnest(
    cast(json_extract({{ column }}, '$ {%- for key in keys %}."{{ key }}"{% endfor %}') as json[])
  ) with ordinality as {{ alias }}(value, position)
{%- endmacro %}

{% macro postgres__json_elements(column, keys, alias) -%}
  cross join lateral jsonb_array_elements(
    case
      when jsonb_typeof(cast({{ column }} as jsonb) #> '{ {{- keys | join(",") -}} }') = 'array'
        then cast({{ column }} as jsonb) #> '{ {{- keys | join(",") -}} }'
      else '[]'::jsonb
    end
  ) with ordinality as {{ alias }}(value, position)
{%- endmacro %}


{% macro json_fields(column, fields) -%}
  {{ return(adapter.dispatch('json_fields', 'hub')(column, fields)) }}
{%- endmacro %}

{#- Several texts of one JSON document, `<text> as <alias>` for each alias: [keys] of `fields`
    (in order), as json_text reads them. DuckDB reads them all from one parse of the document: one
    json_extract_string over the list of paths, repeated per field, which its optimizer evaluates
    once per row. A call per field parsed a 2.6 kB ShipStation shipment ten times: three times the
    CPU and twice the memory of one parse. -#}
{% macro duckdb__json_fields(column, fields) -%}
  {%- set paths = [] -%}
  {%- for keys in fields.values() -%}
    {%- do paths.append("'$" ~ ('."' ~ keys | join('"."') ~ '"') ~ "'") -%}
  {%- endfor -%}
  {%- set texts = 'json_extract_string(' ~ column ~ ', [' ~ paths | join(', ') ~ '])' -%}
  {%- for alias in fields %}
  {{ texts }}[{{ loop.index }}] as {{ alias }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}

{% macro postgres__json_fields(column, fields) -%}
  {%- for alias, keys in fields.items() %}
  {{ json_text(column, keys) }} as {{ alias }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{%- endmacro %}


{% macro json_array_fields(relation, column, keys, fields, carry) -%}
  {{ return(adapter.dispatch('json_array_fields', 'hub')(relation, column, keys, fields, carry)) }}
{%- endmacro %}

{#- A subquery with one row per element of the JSON array at `keys` of `relation.column`: the
    `carry` columns of its record, `element_position` (1-based) and each `alias` of `fields` read
    from the element ({alias: [key]}, as json_text reads them). Records whose array is missing or
    empty produce nothing.
    DuckDB reads each array straight into a list of typed structs (json_transform) and unnests
    that: unnesting the array as JSON values carried every record's whole document through the
    unnest, which ran out of memory on ShipStation's large records (bench/README.md, dbt build). -#}
{% macro duckdb__json_array_fields(relation, column, keys, fields, carry) -%}
  {%- set spec = [] -%}
  {%- for alias, element_keys in fields.items() -%}
    {%- if element_keys | length != 1 -%}
      {%- do exceptions.raise_compiler_error('json_array_fields reads top-level keys of an element, got ' ~ element_keys) -%}
    {%- endif -%}
    {%- do spec.append('"' ~ element_keys[0] ~ '": "VARCHAR"') -%}
  {%- endfor -%}
  (
    select
      {%- for name in carry %}
      {{ name }},
      {%- endfor %}
      element_position,
      {%- for alias, element_keys in fields.items() %}
      element."{{ element_keys[0] }}" as {{ alias }}{% if not loop.last %},{% endif %}
      {%- endfor %}
    from (
      select {% for name in carry %}{{ name }}, {% endfor -%}
        unnest(elements) as element, generate_subscripts(elements, 1) as element_position
      from (
        select {% for name in carry %}{{ name }}, {% endfor -%}
          json_transform(
            json_extract({{ column }}, '$ {%- for key in keys %}."{{ key }}"{% endfor %}'),
            '[{ {{- spec | join(", ") -}} }]'
          ) as elements
        from {{ relation }}
      ) as records
    ) as unnested
  )
{%- endmacro %}

{% macro postgres__json_array_fields(relation, column, keys, fields, carry) -%}
  (
    select
      {%- for name in carry %}
      records.{{ name }},
      {%- endfor %}
      element.position as element_position,
      {{- json_fields('element.value', fields) }}
    from {{ relation }} as records
    {{ json_elements('records.' ~ column, keys, 'element') }}
  )
{%- endmacro %}


{% macro split_rows(column, separator) -%}
  {{ return(adapter.dispatch('split_rows', 'hub')(column, separator)) }}
{%- endmacro %}

{#- In a select list: one row per `separator`-delimited part of the text `column`. -#}
{% macro duckdb__split_rows(column, separator) -%}
  unnest(string_split({{ column }}, {{ separator }}))
{%- endmacro %}

{% macro postgres__split_rows(column, separator) -%}
  unnest(string_to_array({{ column }}, {{ separator }}))
{%- endmacro %}
