{#
  Keys held by PostgreSQL itself rather than re-read by data tests every build. The large incremental staging
  tables hold their record reference with a unique index, which refuses a duplicate when it is written, in a full
  build or a monthly refresh (a unique test re-read the whole table: at 100k persons 2 minutes each for 6-8
  million nights or contacts, most of a refresh); enforced_unique checks that guard is in place. Every model's
  not_null constraints are declared on its table (require_not_null).
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

{# Post-hook of every staging, intermediate and mart model (dbt_project.yml): the columns its yml gives a not_null
   constraint are declared NOT NULL, all in one statement. A table is checked in one scan rather than by one
   not_null test per column, each a dbt node re-reading the table (89 of a refresh's ~200 test nodes); a null
   fails the model's build, naming the table and column and no value, so nothing downstream reads it. On an
   incremental refresh the columns already are, and PostgreSQL checks only the rows written. #}
{% macro require_not_null() -%}
    {%- if not execute %}{{ return('') }}{% endif %}  {# parsing renders hooks before the model's columns are known #}
    {%- set columns = [] %}
    {%- for column in model.columns.values() %}
        {%- if column.constraints | selectattr('type', 'equalto', 'not_null') | list %}
            {%- do columns.append(column.name) %}
        {%- endif %}
    {%- endfor %}
    {%- if columns %}
    alter table {{ this }}
    {%- for column in columns %}
        alter column {{ adapter.quote(column) }} set not null{{ "," if not loop.last }}
    {%- endfor %}
    {%- endif %}
{%- endmacro %}
