{#- What dbt lists of the lake (its relation cache at the start of every invocation, the schemas it creates) read from
    DuckLake's own catalog tables. dbt-duckdb asks `information_schema`, for which DuckLake describes every table of
    the lake: ≈ 310-370 ms a listing in a fresh connection, against 3-5 ms here, and dbt lists every schema it builds
    in, twice a run. Other databases keep dbt-duckdb's macros. -#}

{% macro _is_lake(database) -%}
  {#- by name: dbt's first listing comes before its connection is open, when dbt-duckdb knows no DuckLake yet -#}
  {{ return((database or '') | replace('"', '') | lower == var('lake_database')) }}
{%- endmacro %}

{% macro _ducklake_metadata(database) -%}
  "__ducklake_metadata_{{ database | replace('"', '') }}"
{%- endmacro %}

{% macro duckdb__list_relations_without_caching(schema_relation) %}
  {% if not _is_lake(schema_relation.database) %}
    {{ return(dbt.duckdb__list_relations_without_caching(schema_relation)) }}
  {% endif %}
  {% set meta = _ducklake_metadata(schema_relation.database) %}
  {% call statement('list_relations_without_caching', fetch_result=True) -%}
    with current_schema as (
      select schema_id from {{ meta }}.ducklake_schema
      where end_snapshot is null and lower(schema_name) = '{{ schema_relation.schema | lower }}'
    )
    select '{{ schema_relation.database }}' as database, table_name as name,
      '{{ schema_relation.schema }}' as schema, 'table' as type
    from {{ meta }}.ducklake_table
    where end_snapshot is null and schema_id in (select schema_id from current_schema)
    union all
    select '{{ schema_relation.database }}', view_name, '{{ schema_relation.schema }}', 'view'
    from {{ meta }}.ducklake_view
    where end_snapshot is null and schema_id in (select schema_id from current_schema)
  {%- endcall %}
  {{ return(load_result('list_relations_without_caching').table) }}
{% endmacro %}

{% macro duckdb__list_schemas(database) -%}
  {% if not _is_lake(database) %}
    {{ return(dbt.duckdb__list_schemas(database)) }}
  {% endif %}
  {% set sql %}
    select schema_name from {{ _ducklake_metadata(database) }}.ducklake_schema where end_snapshot is null
  {% endset %}
  {{ return(run_query(sql)) }}
{% endmacro %}

{% macro duckdb__check_schema_exists(information_schema, schema) -%}
  {% if not _is_lake(information_schema.database) %}
    {{ return(dbt.duckdb__check_schema_exists(information_schema, schema)) }}
  {% endif %}
  {% set sql -%}
    select count(*) from {{ _ducklake_metadata(information_schema.database) }}.ducklake_schema
    where end_snapshot is null and lower(schema_name) = '{{ schema | lower }}'
  {%- endset %}
  {{ return(run_query(sql)) }}
{% endmacro %}
