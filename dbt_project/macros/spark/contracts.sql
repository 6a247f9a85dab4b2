{#- The marts' contracts name their types as DuckDB and PostgreSQL spell them; Spark calls a
    `varchar` without length `string` and a `double precision` `double`. -#}
{% macro spark__cast(field, type) -%}
  {%- set spelled = {'varchar': 'string', 'text': 'string', 'double precision': 'double'} -%}
  cast({{ field }} as {{ spelled.get(type | lower | trim, type) }})
{%- endmacro %}
