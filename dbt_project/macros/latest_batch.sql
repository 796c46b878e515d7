{# Current rows of a source: its batches in audit.current_batches (kept by pipelines/ledger.py): a snapshot
   source's latest period (the file plus any fixed quarantine rows), an append source's every period. #}
{% macro latest_batch_rows(partner, source_name) -%}
    select rows.*
    from {{ source(partner, source_name) }} as rows
    where rows.batch_id in (
        select current_batches.batch_id
        from {{ source('audit', 'current_batches') }} as current_batches
        where current_batches.source = '{{ source_name }}'
    )
{%- endmacro %}
