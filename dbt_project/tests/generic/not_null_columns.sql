{#- Fails once per set of `columns` found null together, naming them (`null_columns`) with the
    number of rows. One test node for all the required columns of a model instead of a not_null
    node per column: every node costs dbt ~35 ms of fixed work on each build, whatever the data. -#}
{% test not_null_columns(model, columns) %}
select null_columns, count(*) as null_rows
from (
    select
        {%- for column in columns %}
        case when {{ column }} is null then '{{ column }} ' else '' end
            {%- if not loop.last %} ||{% endif %}
        {%- endfor %} as null_columns
    from {{ model }}
) as checked
where null_columns <> ''
group by null_columns
{% endtest %}
