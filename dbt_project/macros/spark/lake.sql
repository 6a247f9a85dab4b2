{#- The raw layer on Spark: a view `raw.<stream>` over the stream's Parquet files in the lake
    (connectors/lake.py), keeping the latest `_loaded_at` of each `_pk` as the DuckDB table does.
    Run by `on-run-start` (dbt_project.yml); nothing on other targets, whose raw tables are real. -#}
{% macro hub_raw_lake_views() -%}
  {{ return(adapter.dispatch('hub_raw_lake_views', 'hub')()) }}
{%- endmacro %}

{% macro default__hub_raw_lake_views() -%}
{%- endmacro %}

{% macro spark__hub_raw_lake_views() -%}
  {%- set lake = env_var('HUB_LAKE_DIR', '') -%}
  {%- if not lake -%}
    {%- do exceptions.raise_compiler_error(
      "the spark target reads the raw layer from Parquet: set HUB_LAKE_DIR to the lake folder"
      ~ " (python -m pipelines lake-export writes it from the warehouse)") -%}
  {%- endif -%}
  {%- if execute -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- for source in graph.sources.values() if source.schema == 'raw' -%}
      {%- do run_query(
        'create or replace view raw.' ~ source.identifier ~ ' as'
        ~ ' select _pk, _scope, _cursor, _record, _run_id, _loaded_at from ('
        ~ ' select *, row_number() over (partition by _pk order by _loaded_at desc) as _version'
        ~ ' from parquet.`' ~ lake ~ '/' ~ source.identifier ~ '`) as files where _version = 1') -%}
    {%- endfor -%}
  {%- endif -%}
{%- endmacro %}
