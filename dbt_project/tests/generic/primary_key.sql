{#- A model's key and its required columns in one test node: fails once per key value found on more
    than one row (nulls aside, as `unique`) and once per set of `not_null` columns found null
    together, naming them. It replaces a `unique` and a `not_null_columns` node on the same model:
    every node costs dbt ~27 ms of fixed work on each build, whatever the data (bench/README.md). -#}
{% test primary_key(model, key, not_null=[]) %}
{%- set keys = [key] if key is string else key %}
with duplicates as (
    select
        'duplicate key' as problem,
        {% for column in keys -%}
        cast({{ column }} as {{ dbt.type_string() }}){% if not loop.last %} || ', ' || {% endif %}
        {%- endfor %} as detail,
        count(*) as problem_rows
    from {{ model }}
    where {{ keys | join(' is not null and ') }} is not null
    group by {{ keys | join(', ') }}
    having count(*) > 1
)
{%- if not_null %},

nulls as (
    select 'null columns' as problem, null_columns as detail, null_rows as problem_rows
    from ({{ test_not_null_columns(model, not_null) }}) as null_sets
)
{%- endif %}

select * from duplicates
{%- if not_null %}
union all
select * from nulls
{%- endif %}
{% endtest %}
