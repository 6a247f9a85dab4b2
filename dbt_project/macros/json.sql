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
