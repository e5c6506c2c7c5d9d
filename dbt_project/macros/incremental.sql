{#- Incremental models over the lake's snapshots.

    Validated tables only grow, but not in the order of any of their columns: a held delivery released, or a
    quarantined row replayed, arrives days later with its original `_loaded_at`. What is new to a model is what the
    lake committed after the model last read it: each build writes the lake snapshot it read as the `lake_snapshot`
    column of its rows, and the next build takes the input rows whose snapshot (DuckLake's `snapshot_id` column,
    kept in the data files through merges and snapshot expiry) is newer than the newest of them. A model recomputes,
    from all of its inputs, every key those rows touch: reading a row twice does no harm, missing one would.

    When a model's definition changes, `sdc run` builds its part with `--full-refresh`
    (pipelines/defs/dbt/incremental.py). -#}

{#- The snapshot this build reads: its number, at execution (none while dbt parses). -#}
{% macro lake_snapshot() -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set result = run_query("select id from ducklake_current_snapshot('" ~ var('lake_database') ~ "')") -%}
  {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- The snapshot the rows of this model were read at (the newest), or none when the build reads everything: the
    first build, a full refresh, an empty table, or a dbt unit test (which has no `this`). -#}
{% macro read_mark() -%}
  {%- if not execute or this is none or not is_incremental() -%}{{ return(none) }}{%- endif -%}
  {%- set mark = run_query("select max(lake_snapshot) from " ~ this).columns[0].values()[0] -%}
  {{ return(mark) }}
{%- endmacro %}

{#- The rows of `relation` (a lake table) committed after snapshot `mark`. -#}
{% macro inserted_after(relation, mark) -%}
  (select * from {{ relation }} where snapshot_id > {{ mark }})
{%- endmacro %}

{#- Post-hook of an incremental model whose batch carries a placeholder row (`column` null) for a key left without
    rows, so that delete+insert deletes the key's old rows: the placeholders go before the commit. -#}
{% macro delete_placeholders(column) -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ column }} is null
  {%- endif -%}
{%- endmacro %}

