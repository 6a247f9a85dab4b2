{#- The marts a Spark run built, handed over to the hub as Parquet: `on-run-end` (dbt_project.yml)
    writes each mart built in this run to `<HUB_DATA_DIR>/spark/handover/<mart>/`, without the
    incremental tables' `_hub_bucket`, for pipelines/spark_build.py to load into DuckDB and publish
    as the nightly does. Written by Spark itself, so it runs the same in the hub's process, in a
    `dbt` subprocess (Dagster) or on a cluster (a shared HUB_DATA_DIR); a table with no rows still
    leaves a file with its schema. Nothing on other targets. -#}
{% macro hub_spark_handover(results) -%}
  {{ return(adapter.dispatch('hub_spark_handover', 'hub')(results)) }}
{%- endmacro %}

{% macro default__hub_spark_handover(results) -%}
{%- endmacro %}

{% macro spark__hub_spark_handover(results) -%}
  {%- if execute -%}
    {%- set handover = env_var('HUB_DATA_DIR', '../data') ~ '/spark/handover' -%}
    {%- for result in results
        if result.node.resource_type == 'model' and result.node.fqn[1] == 'marts' and result.status == 'success' -%}
      {%- set relation = api.Relation.create(schema=result.node.schema, identifier=result.node.alias) -%}
      {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name')
                        | reject('equalto', '_hub_bucket') | list -%}
      {%- do run_query(
        "insert overwrite directory '" ~ handover ~ "/" ~ result.node.alias ~ "' using parquet select `"
        ~ columns | join('`, `') ~ "` from " ~ relation) -%}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro %}
