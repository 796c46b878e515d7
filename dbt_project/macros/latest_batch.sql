{# Current rows of a source: its batches in audit.current_batches (kept by pipelines/ledger.py): a snapshot
   source's latest period (the file plus any fixed quarantine rows), an append source's every period.
   The batch ids are read when the model compiles and written into the query as literals: against a subquery
   the planner guessed a few thousand rows out of millions (spilling hash joins to disk) and scanned every
   period's rows; with literals it reads the raw table's statistics and only the current batches. #}
{% macro latest_batch_rows(partner, source_name) -%}
    select rows.*
    from {{ source(partner, source_name) }} as rows
    where rows.batch_id in ({{ current_batch_ids(source_name) | join(', ') or 'null' }})
{%- endmacro %}

{% macro current_batch_ids(source_name) -%}
    {%- set current_batches = source('audit', 'current_batches') %}
    {%- if not execute %}{{ return([]) }}{% endif %}
    {%- set ids = run_query(
        "select batch_id::text from " ~ current_batches ~ " where source = '" ~ source_name ~ "' order by batch_id"
    ) %}
    {{- return(ids.columns[0].values() | list) }}
{%- endmacro %}
