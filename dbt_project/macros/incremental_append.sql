{#
  The large event sources arrive as monthly appends: each file adds the records keyed in its month, and every
  month stays current (a re-sent month replaces its file). Their staging models are incremental, and a refresh
  costs what changed since the table was last built, not its size: it reads only the raw rows written since, by
  their row_version (pipelines/raw_tables.py: a new version at every insert and update, so the new months' rows
  and the rows a merge, split or key rotation rewrote). `remove_departed_rows`, run before, deletes the staged rows
  whose raw row has left since (a re-sent month without it, an erasure, a rewrite: its old version), so the rows
  read are all new to the table and `insert_new` adds them, with no delete by key (a join reading the whole
  table: 14 s of a 40 s refresh at 100k persons). A full refresh rebuilds from raw and gives the same table. Each is
  indexed on its key, person key and row version: the key tests read an index, and a refresh finds its starting
  point and the departed rows at once.
  They are unlogged: derived from raw, they need no write-ahead log of their own, and logging them made a refresh
  pay a full-page image for each index page its new rows land on first after a checkpoint (random keys: most
  pages; at 100k persons 474 MB of log for shelter nights' 79k new rows, 19 s of an insert taking 3.7 s without).
  A crash empties an unlogged table; an empty table has no last row version, so the next build stages it whole.
#}

{# The indexes of these tables: their key (unique), person key and row version. Keys and person keys are hex
   digests, compared byte for byte ("C"): under the database's collation an index on them took ~3x longer to build
   (at 100k persons a full build's two largest staging tables: 98 and 95 s, against 60 and 58 s), and equality is
   the same. #}
{% macro keyed_indexes(key) -%}
    {{ return([
        {'columns': [key ~ ' collate "C"'], 'unique': True},
        {'columns': ['person_key collate "C"']},
        {'columns': ['row_version']},
    ]) }}
{%- endmacro %}

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

{# The pre-hooks below read the model's raw source from its meta (`raw_source`: partner and source name) and its key
   from `unique_key`; the body names the source itself, through `source()`, for dbt's lineage. #}

{# Pre-hook: no load, merge or erasure may write to the source while the model reads it (SHARE waits for the
   writers under way and holds off new ones until the model is built). With the uncached version sequence, every
   row written afterwards has a higher version than any row this build sees, so the next refresh finds it; and the
   source's departures, logged by the writers' deletes and updates, are held still with it. #}
{% macro hold_source_still() -%}
    {%- if not execute %}{{ return('') }}{% endif %}  {# parsing renders hooks before the model's config is known #}
    lock table {{ source(*config.get('meta')['raw_source']) }} in share mode
{%- endmacro %}

{# Pre-hook, once the source is held still: the staged rows whose raw row has left since the last build are deleted,
   by the versions raw.departures logged as rows were deleted or rewritten (pipelines/warehouse.py; the table has
   no dbt source: only this hook reads it). A version never comes back: a rewritten or returning record has a new
   one and is among the rows this build reads. Every build empties its source's log, having accounted for all of
   it. A log that opened since the table was built (a warehouse upgraded) cannot tell which rows left: the staged
   rows are then matched against the current rows by key, once, and those rewritten since are taken out to be
   staged again; a table without versions is staged again whole. The persons of the rows deleted are logged for
   the marts refreshed person by person, every person when the table is staged whole (macros/person_changes.sql). #}
{% macro remove_departed_rows() -%}
    {%- if not execute %}{{ return('') }}{% endif %}
    {%- set partner, source_name = config.get('meta')['raw_source'] %}
    {%- set key = config.get('unique_key') %}
    {%- set departed = "(select row_version from raw.departures where source = '" ~ source_name ~ "') as departed" %}
    do $departed$
    begin
    {%- if is_incremental() and last_built_row_version() > 0 %}
        if exists (select from {{ departed }} where row_version is null) then
            {% call delete_logging_persons() -%}
            delete from {{ this }} as staged
            where not exists (
                select from ({{ latest_batch_rows(partner, source_name) }}) as current_rows
                where current_rows.record_ref = staged.{{ key }}
            )
            or staged.{{ key }} in (select record_ref from ({{ rows_since_last_build(partner, source_name) }}) as new_rows)
            {%- endcall %};
        else  {# an array: the row_version index, whatever the statistics of a log emptied every build say #}
            {% call delete_logging_persons() -%}
            delete from {{ this }} where row_version = any(array(select row_version from {{ departed }}))
            {%- endcall %};
        end if;
    {%- else %}
        {%- if is_incremental() %}
        delete from {{ this }};
        {%- endif %}
        {{ log_every_person_changed(source_name) }}
    {%- endif %}
        delete from raw.departures where source = '{{ source_name }}';
    end
    $departed$
{%- endmacro %}

{# The incremental strategy of these models: the rows read are new to the table (remove_departed_rows), so they are
   inserted. The key's unique index refuses a record staged twice: a new row whose record is staged from a row still
   current, or is new in another batch too, is a record in two months' files, which an append source must not send
   (a full build fails on the unique key the same way). Only then is the record looked up, to name both batches
   (the model's meta names its raw source, as for the pre-hooks). #}
{% macro get_incremental_insert_new_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) %}
    {%- set key = arg_dict['unique_key'] %}
    {%- set raw_rows = source(*config.get('meta')['raw_source']) %}
    do $insert_new$
    declare
        twice record;
    begin
        insert into {{ arg_dict['target_relation'] }} ({{ columns }})
        select {{ columns }} from {{ arg_dict['temp_relation'] }};
        {{ log_inserted_persons(arg_dict['temp_relation']) }}
    exception when unique_violation then
        select new_raw.batch_id as new_batch, other_raw.batch_id as other_batch into twice
        from {{ arg_dict['temp_relation'] }} as new_rows
        inner join (  {# staged already, or new too: two months loaded since the last build #}
            select {{ key }}, row_version from {{ arg_dict['target_relation'] }}
            union all
            select {{ key }}, row_version from {{ arg_dict['temp_relation'] }}
        ) as other on other.{{ key }} = new_rows.{{ key }} and other.row_version <> new_rows.row_version
        inner join {{ raw_rows }} as new_raw on new_raw.row_version = new_rows.row_version
        inner join {{ raw_rows }} as other_raw on other_raw.row_version = other.row_version
        limit 1;
        raise exception '{{ arg_dict['target_relation'] }}: a record of batch % is also in batch %, still current: is a record in the files of two months?',
            twice.new_batch, twice.other_batch;
    end
    $insert_new$
{%- endmacro %}
