{#- Slimmer DuckDB materializations for table, incremental and view models and for data tests.

    Every SQL statement dbt sends costs it a few ms of Python whatever the data (three structured
    log events, a cursor, often a result table), and dbt-duckdb's own materializations send 8 to 12
    per model: a table is built under a temporary name, renamed twice, its indexes and foreign keys
    looked up, the old one dropped after the commit; an incremental model describes its temporary
    and target tables in Python to check the schema. DuckDB's DDL is transactional, so the same
    result takes one statement inside the model's transaction: readers see the old table until
    the commit, and a failure leaves it as it was. The project uses neither indexes, foreign keys,
    grants nor DuckLake, which is what the extra statements are for. bench/README.md, dbt build.
-#}

{#- The model's statement of a table build: drop + create in one transaction (a contract's typed
    create + insert included), the relation cache told when a view became a table. -#}
{% macro hub_replace_table(existing_relation, target_relation, compiled_code) %}
  {% call statement('main') -%}
    {%- if existing_relation is not none %}
    drop {{ existing_relation.type }} {{ existing_relation }};
    {%- endif %}
    {{ create_table_as(False, target_relation, compiled_code) }}
  {%- endcall %}
  {% if existing_relation is not none and existing_relation.type != 'table' %}
    {% do adapter.cache_dropped(existing_relation) %}
    {% do adapter.cache_added(target_relation) %}
  {% endif %}
{% endmacro %}


{#- A table model: one statement, see hub_replace_table. -#}
{% materialization table, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {{ hub_replace_table(existing_relation, target_relation, compiled_code) }}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {#- comments from the yml descriptions when the model asks (persist_docs); nothing otherwise -#}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The key columns of an incremental model: the project's incremental materializations (DuckDB
    here, Spark in macros/spark/incremental.sql) do delete+insert on a `unique_key` only. -#}
{% macro hub_incremental_keys() %}
  {%- set unique_key = config.get('unique_key') -%}
  {%- set strategy = config.get('incremental_strategy') or 'delete+insert' -%}
  {%- if strategy != 'delete+insert' or not unique_key -%}
    {% do exceptions.raise_compiler_error(
      model.name ~ ": the project's incremental materialization does delete+insert on a unique_key only") %}
  {%- endif -%}
  {{ return([unique_key] if unique_key is string else unique_key) }}
{% endmacro %}


{#- Whether an incremental model is built whole: a first build, a --full-refresh, or a view in its place. -#}
{% macro hub_builds_whole(existing_relation) %}
  {{ return(existing_relation is none or should_full_refresh() or existing_relation.is_view) }}
{% endmacro %}


{#- Incremental models (delete+insert on `unique_key`): on a full refresh or a first build, as a
    table; else the new rows into a temporary table, a schema check, delete + insert, all in one
    statement; `incremental_predicates` narrow the delete as in dbt's own delete+insert. Any difference of column names, order or types between the new rows and the table
    fails the build (on_schema_change 'fail' for every incremental model): it needs a
    `--full-refresh`, as a changed model always did here; except a model configured
    `rebuild_on_schema_change` (staging), which is rebuilt from empty (hub_rebuild_from_empty). -#}
{% materialization incremental, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set keys = hub_incremental_keys() -%}
  {%- set full_refresh = hub_builds_whole(existing_relation) -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- set rebuild = not full_refresh and config.get('rebuild_on_schema_change')
      and hub_columns_changed(target_relation, compiled_code) -%}

  {% if full_refresh %}
    {{ hub_replace_table(existing_relation, target_relation, compiled_code) }}
  {% elif rebuild %}
    {{ hub_rebuild_from_empty(target_relation, compiled_code) }}
  {% else %}
    {%- set temp_relation = make_temp_relation(target_relation) -%}
    {%- set key_list = keys | join(', ') -%}
    {% call statement('main') -%}
      create temporary table {{ temp_relation }} as (
        {{ compiled_code }}
      );
      select error('{{ model.name }}: its columns changed; run dbt build --full-refresh')
      where (
        select list(column_name || ' ' || data_type order by column_index) from duckdb_columns()
        where database_name = 'temp' and table_name = '{{ temp_relation.identifier }}'
      ) is distinct from (
        select list(column_name || ' ' || data_type order by column_index) from duckdb_columns()
        where database_name = '{{ target_relation.database }}'
          and schema_name = '{{ target_relation.schema }}'
          and table_name = '{{ target_relation.identifier }}'
      );
      delete from {{ target_relation }}
      where ({{ key_list }}) in (select distinct {{ key_list }} from {{ temp_relation }})
      {%- for predicate in config.get('incremental_predicates') or [] %}
        and {{ predicate }}
      {%- endfor %};
      insert into {{ target_relation }} select * from {{ temp_relation }};
      drop table {{ temp_relation }};
    {%- endcall %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- Whether the model's select yields other columns (names, order, types) than its table holds:
    one statement that binds the select without running it (DuckDB's DESCRIBE). -#}
{% macro hub_columns_changed(target_relation, compiled_code) %}
  {%- set compared = run_query(
    "select (select list(column_name || ' ' || column_type) from (describe (" ~ compiled_code ~ ")))"
    ~ " is distinct from (select list(column_name || ' ' || data_type order by column_index)"
    ~ " from duckdb_columns() where database_name = '" ~ target_relation.database ~ "'"
    ~ " and schema_name = '" ~ target_relation.schema ~ "'"
    ~ " and table_name = '" ~ target_relation.identifier ~ "')"
  ) -%}
  {{ return(compared.rows[0][0]) }}
{% endmacro %}


{#- A model whose select reads every row once its own table is empty (the staging models: their
    watermark is the table's latest `_loaded_at`) is rebuilt in place when its columns changed:
    emptied, selected again in full, replaced, in one transaction. A nightly on an existing
    warehouse then needs no `--full-refresh` after a release that changed staging columns. -#}
{% macro hub_rebuild_from_empty(target_relation, compiled_code) %}
  {%- set temp_relation = make_temp_relation(target_relation) -%}
  {% do log(model.name ~ ": its columns changed; rebuilt from the raw tables", info=True) %}
  {% call statement('main') -%}
    delete from {{ target_relation }};
    create temporary table {{ temp_relation }} as (
      {{ compiled_code }}
    );
    drop table {{ target_relation }};
    create table {{ target_relation }} as select * from {{ temp_relation }};
    drop table {{ temp_relation }};
  {%- endcall %}
{% endmacro %}


{#- A data test: dbt's own, without a transaction around its one select (a BEGIN is a statement
    too, and a test writes nothing). A test that stores its failures writes a table: dbt's own
    materialization does that, unchanged. -#}
{% materialization test, adapter='duckdb' %}
  {% if should_store_failures() %}
    {{ return(dbt.materialization_test_default()) }}
  {% endif %}
  {% set sql_with_limit %}
    {{ get_limit_subquery_sql(sql, config.get('limit')) }}
  {% endset %}
  {% call statement('main', fetch_result=True, auto_begin=False) -%}
    {{ get_test_sql(sql_with_limit, config.get('fail_calc'), config.get('warn_if'), config.get('error_if'), limit=none) }}
  {%- endcall %}
  {{ return({'relations': []}) }}
{% endmaterialization %}


{#- A view model (the vendor-neutral staging layer): one statement, a table of the same name
    dropped first in it, instead of dbt-duckdb's build under a temporary name and renames. -#}
{% materialization view, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}
  {%- set replaces_other = existing_relation is not none and existing_relation.type != 'view' -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% call statement('main') -%}
    {%- if replaces_other %}
    drop {{ existing_relation.type }} {{ existing_relation }};
    {%- endif %}
    create or replace view {{ target_relation }} as (
      {{ compiled_code }}
    );
  {%- endcall %}
  {% if replaces_other %}
    {% do adapter.cache_dropped(existing_relation) %}
    {% do adapter.cache_added(target_relation) %}
  {% endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
