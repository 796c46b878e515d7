{#
  The large event sources arrive as monthly appends: each file adds the records keyed in its month, and every
  month stays current (a re-sent month replaces its file). Their staging models are incremental: a refresh
  reads only the raw rows written since the table was last built, by their row_version (pipelines/raw_tables.py:
  a new version at every insert and update, so the new months' rows and the rows a merge, split or key rotation
  rewrote), and delete+insert puts them in place of the rows with the same key. `match_current_rows`, run after,
  removes rows whose record has left the source (a re-sent month without it, an erasure) and checks the table
  holds exactly the source's current rows. A full refresh rebuilds from raw and gives the same table. Each is
  indexed on its key, person key and row version: the key tests read an index, and a refresh finds its
  starting point at once.
#}

{# The source's current rows, on a refresh only those written since the last build. #}
{% macro rows_since_last_build(partner, source_name) -%}
    {{ latest_batch_rows(partner, source_name) }}
    {%- if is_incremental() %}
    and rows.row_version > {{ last_built_row_version() }}
    {%- endif %}
{%- endmacro %}

{# Read when the model compiles: a literal lets the planner use the raw table's row_version index. A table built
   before row versions has none: 0 restages every row once (on_schema_change adds the column). #}
{% macro last_built_row_version() -%}
    {%- if not execute %}{{ return(0) }}{% endif %}
    {%- if 'row_version' not in adapter.get_columns_in_relation(this) | map(attribute='name') %}{{ return(0) }}{% endif %}
    {%- set found = run_query("select coalesce(max(row_version), 0) from " ~ this) %}
    {{- return(found.columns[0].values()[0]) }}
{%- endmacro %}

{# Pre-hook: no load, merge or erasure may write to the source while the model reads it (SHARE waits for the
   writers under way and holds off new ones until the model is built). With the uncached version sequence, every
   row written afterwards has a higher version than any row this build sees, so the next refresh finds it. #}
{% macro hold_source_still(partner, source_name) -%}
    lock table {{ source(partner, source_name) }} in share mode
{%- endmacro %}

{# Post-hook: the table must hold one row per current source row. More rows: some records have left the source,
   and are deleted (the anti-join is run only then). Fewer: a record is in two months' files, which an append
   source must not send (a full build fails on the unique key the same way). #}
{% macro match_current_rows(partner, source_name, key) -%}
    do $match$
    declare
        kept bigint := (select count(*) from {{ this }});
        current_rows bigint := (select count(*) from ({{ latest_batch_rows(partner, source_name) }}) as current_rows);
        gone bigint := 0;
    begin
        if kept > current_rows then
            delete from {{ this }} as kept
            where not exists (
                select from ({{ latest_batch_rows(partner, source_name) }}) as current_rows
                where current_rows.record_ref = kept.{{ key }}
            );
            get diagnostics gone = row_count;
        end if;
        if kept - gone <> current_rows then
            raise exception '{{ this }} holds % rows where {{ source(partner, source_name) }} has % current rows: is a record in the files of two months?',
                kept - gone, current_rows;
        end if;
    end
    $match$
{%- endmacro %}
