{#- Row count (and for mart_ models a preview) of each built model, logged from inside dbt.

    The hub's Dagster step shows these as `dagster/row_count` and `preview` on each model's
    materialization. Read here, by dbt itself right after the model is built, rather than by
    Dagster once dbt has exited (DuckDB lets only one process open the warehouse while dbt
    writes), Dagster can record each model as soon as it is built, while dbt goes on. One
    `hub_node_stats {json}` line per model; pipelines/transform/metadata.py reads it.
    Intermediate views are skipped: counting a view re-runs its query. On Spark nothing is counted:
    each count is one more Spark job per model (seconds in local mode), and the hub's Spark runs
    read the published row counts instead (pipelines/spark_build.py). -#}

{% macro log_node_stats() %}
  {%- if execute and model.resource_type == 'model' and target.type != 'spark' -%}
    {%- set materialized = model.config.materialized -%}
    {%- set is_mart = model.fqn[1] == 'marts' -%}
    {%- if materialized in ('table', 'incremental') or (materialized == 'view' and is_mart) -%}
      {%- set row_count = run_query('select count(*) from ' ~ this).columns[0].values()[0] -%}
      {%- set preview = none -%}
      {%- if is_mart and model.name.startswith('mart_') -%}
        {%- set preview = adapter.dispatch('preview_rows', 'hub')(this, 10) -%}
      {%- endif -%}
      {%- do log('hub_node_stats ' ~ tojson({'unique_id': model.unique_id, 'row_count': row_count | int,
                                              'preview': preview}), info=True) -%}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}

{#- The first rows of a relation as a JSON array of objects with every value as text (money stays
    exact), or none where the adapter has no cheap way to say it. -#}
{% macro default__preview_rows(relation, limit) -%}
  {{ return(none) }}
{%- endmacro %}

{% macro duckdb__preview_rows(relation, limit) -%}
  {%- set sql -%}
    select cast(to_json(list(t)) as varchar)
    from (select columns(*)::varchar from {{ relation }} limit {{ limit }}) as t
  {%- endset -%}
  {{ return(run_query(sql).columns[0].values()[0]) }}
{%- endmacro %}
