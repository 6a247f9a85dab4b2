{#- The raw layer on Spark: a view `raw.<stream>` over the stream's Parquet files in the lake
    (connectors/lake.py), keeping the latest `_loaded_at` of each `_pk` as the DuckDB table does.
    Run by `on-run-start` (dbt_project.yml); nothing on other targets, whose raw tables are real.
    A view keeps only its SQL text, so each query lists the lake's files again: views that exist
    for the same lake (database property `hub_lake`) are kept, not made again on every run, since
    making one infers its Parquet schema (a Spark job per stream). -#}
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
    {%- set streams = [] -%}
    {%- for source in graph.sources.values() if source.schema == 'raw' -%}
      {%- do streams.append(source.identifier) -%}
    {%- endfor -%}
    {%- do run_query('create database if not exists raw') -%}
    {%- set properties = run_query('describe database extended raw') -%}
    {%- set made_for = [] -%}
    {%- for row in properties.rows if row[0] == 'Properties' and ('(hub_lake,' ~ lake ~ ')') in row[1] -%}
      {%- do made_for.append(lake) -%}
    {%- endfor -%}
    {%- set existing = run_query('show views in raw').columns[1].values() | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for stream in streams if not made_for or stream | lower not in existing -%}
      {%- do missing.append(stream) -%}
    {%- endfor -%}
    {%- for stream in missing -%}
      {%- do run_query(
        'create or replace view raw.' ~ stream ~ ' as'
        ~ ' select _pk, _scope, _cursor, _record, _run_id, _loaded_at from ('
        ~ ' select *, row_number() over (partition by _pk order by _loaded_at desc) as _version'
        ~ ' from parquet.`' ~ lake ~ '/' ~ stream ~ '`) as files where _version = 1') -%}
    {%- endfor -%}
    {%- if not made_for -%}
      {%- do run_query("alter database raw set dbproperties ('hub_lake' = '" ~ lake | replace("'", "\\'") ~ "')") -%}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
