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
