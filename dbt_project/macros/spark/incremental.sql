{#- Incremental models on Spark over plain Parquet, which has no DELETE or MERGE: each table is
    partitioned by a bucket of its unique key (`_hub_bucket`, hub_key_buckets of them), and a run
    rewrites only the buckets its new rows fall in, by dynamic partition overwrite
    (spark.sql.sources.partitionOverwriteMode=dynamic, profiles.yml): the new rows plus the kept
    rows of those buckets whose keys the new rows do not carry. That is the project's
    delete+insert on `unique_key`, as Spark's insert_overwrite strategy writes it. -#}

{% macro hub_key_buckets() %}{{ return(var('spark_key_buckets', 8)) }}{% endmacro %}

{% macro hub_bucket_sql(keys) -%}
  pmod(xxhash64({{ keys | join(', ') }}), {{ hub_key_buckets() }})
{%- endmacro %}

{% materialization incremental, adapter='spark' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set keys = hub_incremental_keys() -%}
  {%- set full_refresh = hub_builds_whole(existing_relation) -%}

  {{ run_hooks(pre_hooks) }}

  {% if full_refresh %}
    {% if existing_relation is not none %}
      {% do adapter.drop_relation(existing_relation) %}
    {% endif %}
    {% call statement('main') -%}
      create table {{ target_relation }} using parquet partitioned by (_hub_bucket) as
      select *, {{ hub_bucket_sql(keys) }} as _hub_bucket from (
        {{ compiled_code }}
      ) as rows
    {%- endcall %}
  {% else %}
    {%- set new_rows = make_temp_relation(target_relation, '__hub_new') -%}
    {% call statement('new_rows') -%}
      create or replace temporary view {{ new_rows.identifier }} as
      select *, {{ hub_bucket_sql(keys) }} as _hub_bucket from (
        {{ compiled_code }}
      ) as rows
    {%- endcall %}
    {%- set new_columns = adapter.get_columns_in_relation(api.Relation.create(identifier=new_rows.identifier, type='view')) | map(attribute='name') | list -%}
    {%- set stored_columns = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list -%}
    {%- if new_columns != stored_columns -%}
      {% do exceptions.raise_compiler_error(model.name ~ ": its columns changed; run dbt build --full-refresh") %}
    {%- endif -%}
    {%- set column_list = stored_columns | join(', ') -%}
    {% call statement('main') -%}
      insert overwrite table {{ target_relation }} partition (_hub_bucket)
      select {{ column_list }} from {{ new_rows.identifier }}
      union all
      select {% for c in stored_columns %}stored.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
      from {{ target_relation }} as stored
      left anti join {{ new_rows.identifier }} as fresh
        on {% for key in keys %}stored.{{ key }} <=> fresh.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
      where stored._hub_bucket in (select _hub_bucket from {{ new_rows.identifier }})
    {%- endcall %}
    {% do run_query('drop view if exists ' ~ new_rows.identifier) %}
  {% endif %}

  {{ run_hooks(post_hooks) }}
  {% do persist_docs(target_relation, model) %}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- delete from `relation` where `condition`, for the incremental models' pre-hooks. -#}
{% macro hub_delete_rows(relation, condition) -%}
  {{ return(adapter.dispatch('hub_delete_rows', 'hub')(relation, condition)) }}
{%- endmacro %}

{% macro default__hub_delete_rows(relation, condition) -%}
  delete from {{ relation }} where {{ condition }}
{%- endmacro %}

{#- The buckets holding a row to delete are rewritten without those rows; a bucket left with
    none is dropped (a dynamic overwrite leaves alone a partition it writes no row to). -#}
{% macro spark__hub_delete_rows(relation, condition) -%}
  {%- set hit = "(select distinct _hub_bucket from " ~ relation ~ " where " ~ condition ~ ")" -%}
  {%- set kept = "coalesce((" ~ condition ~ "), false) = false" -%}
  {%- if execute -%}
    {%- set emptied = run_query(
      "select b._hub_bucket from " ~ hit ~ " as b where not exists (select 1 from " ~ relation
      ~ " where " ~ relation ~ "._hub_bucket = b._hub_bucket and " ~ kept ~ ")") -%}
    {%- for row in emptied.rows -%}
      {%- do run_query("alter table " ~ relation ~ " drop if exists partition (_hub_bucket = " ~ row[0] ~ ")") -%}
    {%- endfor -%}
  {%- endif -%}
  insert overwrite table {{ relation }} partition (_hub_bucket)
  select * from {{ relation }} where _hub_bucket in {{ hit }} and {{ kept }}
{%- endmacro %}
