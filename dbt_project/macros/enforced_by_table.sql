{#
  The large incremental staging tables hold their keys with PostgreSQL itself: a unique index on the record
  reference and NOT NULL columns refuse a bad row when it is written, in a full build or a monthly refresh.
  The unique and not_null data tests re-read the whole table every build instead (at 100k persons: 2 minutes
  each for 6-8 million nights or contacts, most of a refresh). These tests check the guard is in place.
#}

{# Fails unless a unique index on exactly this column guards the table. #}
{% test enforced_unique(model, column_name) %}
select '{{ column_name }}' as unguarded_column
where not exists (
    select from pg_index as indexes
    inner join pg_attribute as columns
        on columns.attrelid = indexes.indrelid and columns.attnum = indexes.indkey[0]
    where indexes.indrelid = '{{ model }}'::regclass
        and indexes.indisunique
        and indexes.indnkeyatts = 1
        and columns.attname = '{{ column_name }}'
)
{% endtest %}

{# Fails unless the column is declared NOT NULL. #}
{% test enforced_not_null(model, column_name) %}
select '{{ column_name }}' as unguarded_column
where not exists (
    select from pg_attribute
    where attrelid = '{{ model }}'::regclass and attname = '{{ column_name }}' and attnotnull
)
{% endtest %}

{# Post-hook: declare the columns NOT NULL. A full build checks its rows once (one scan); on a refresh the
   columns already are, and PostgreSQL checks only the rows written. #}
{% macro require_not_null(columns) -%}
    alter table {{ this }}
    {%- for column in columns %}
        alter column {{ column }} set not null{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
