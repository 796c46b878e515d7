{#
  The large event sources arrive as monthly snapshots that repeat their whole history, so rebuilding their
  staging tables each month rewrites millions of unchanged rows. Their staging models are incremental instead:
  `changed_rows` keeps only the staged rows that are new or differ from the kept row with the same key (a
  corrected record, a person key changed by a merge), which delete+insert then replaces; `delete_rows_gone`,
  run after, removes kept rows whose record is no longer in the source's current batches (a re-sent month that
  dropped it, an erasure). A full refresh rebuilds from raw and gives the same table. Each is indexed on its key
  and person key: their unique and not-null tests then read an index rather than the table, and an incremental
  run keeps the indexes instead of rebuilding them.
#}
{# Run first: the month just loaded is not yet in the raw table's statistics (autovacuum has not caught up), and
   the planner, expecting no current row, probed the kept table's key index once per staged row instead of
   hashing (3x slower). Only batch_id is analysed, from a small sample: a few thousand rows tell its batches'
   shares, where a full analyse read most of the table's pages. #}
{% macro analyze_batch_ids(partner, source_name) -%}
    set local default_statistics_target = 10;
    analyze {{ source(partner, source_name) }} (batch_id);
    set local default_statistics_target to default
{%- endmacro %}

{% macro changed_rows(staged, key) -%}
    select * from {{ staged }} as staged
    {%- if is_incremental() %}
    where not exists (
        select from {{ this }} as kept
        where kept.{{ key }} = staged.{{ key }} and row(kept.*) is not distinct from row(staged.*)
    )
    {%- endif %}
{%- endmacro %}

{# The anti-join is only run when it can find something: keys being unique and every current record kept,
   the table holds more rows than the source's current batches exactly when a kept record is gone. The counts
   are narrow scans; the anti-join hashes both sides and took most of a monthly refresh's staging time. #}
{% macro delete_rows_gone(partner, source_name, key) -%}
    delete from {{ this }} as kept
    where (select count(*) from {{ this }})
        > (select count(*) from ({{ latest_batch_rows(partner, source_name) }}) as current_rows)
    and not exists (
        select from ({{ latest_batch_rows(partner, source_name) }}) as current_rows
        where current_rows.record_ref = kept.{{ key }}
    )
{%- endmacro %}
