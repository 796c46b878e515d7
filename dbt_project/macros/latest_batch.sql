{# Partners send snapshots: the rows of a source are those of its latest loaded batch (latest period, then latest load). #}
{% macro latest_batch_rows(partner, source_name) -%}
    select rows.*
    from {{ source(partner, source_name) }} as rows
    where rows.batch_id = (
        select batches.batch_id
        from {{ source('audit', 'batches') }} as batches
        where batches.source = '{{ source_name }}' and batches.status = 'loaded'
        order by batches.period desc nulls last, batches.batch_id desc
        limit 1
    )
{%- endmacro %}
