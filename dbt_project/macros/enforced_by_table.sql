{#
  Keys held by PostgreSQL itself rather than re-read by data tests every build. The large incremental staging
  tables hold their record reference with a unique index, which refuses a duplicate when it is written, in a full
  build or a monthly refresh (a unique test re-read the whole table: at 100k persons 2 minutes each for 6-8
  million nights or contacts, most of a refresh); so do the marts refreshed person by person (macros/
  person_changes.sql), whose key spans several columns (unique_index). enforced_unique checks that guard is in
  place: on a column, or on a model with `columns`. Every model's not_null constraints are declared on its table
  (require_not_null). The sources' keys are declared by the pipelines' DDL (a raw table's record_ref NOT NULL,
  pipelines/raw_tables.py; the ledger's batch_id its primary key, pipelines/warehouse.py): enforced_not_null and
  enforced_unique check those declarations, where not_null and unique tests on a source re-read raw tables of
  millions of rows every build.
#}

{# Whether a valid unique index on exactly these columns, in any order and on every row, guards `relation`; as a
   group by would, it takes nulls as equal: the column is NOT NULL, or the index is NULLS NOT DISTINCT. #}
{% macro _unique_index_exists(relation, columns) -%}
exists (
    select from pg_index as indexes
    where indexes.indrelid = '{{ relation }}'::regclass
        and indexes.indisunique
        and indexes.indisvalid
        and indexes.indpred is null
        and indexes.indnkeyatts = {{ columns | length }}
        and array(
            select columns.attname::text
            from pg_attribute as columns
            where columns.attrelid = indexes.indrelid
                and columns.attnum = any((indexes.indkey::int2[])[0:indexes.indnkeyatts - 1])
                and (columns.attnotnull or indexes.indnullsnotdistinct)
            order by columns.attname
        ) = array['{{ columns | sort | join("', '") }}']
)
{%- endmacro %}

{# Fails, naming the columns, unless a unique index on exactly this column (or these `columns`) guards the table. #}
{% test enforced_unique(model, column_name=none, columns=none) %}
select '{{ (columns or [column_name]) | join(", ") }}' as unguarded_columns
where not {{ _unique_index_exists(model, columns or [column_name]) }}
{% endtest %}

{# Fails, naming the column, unless the table declares it NOT NULL. #}
{% test enforced_not_null(model, column_name) %}
select '{{ column_name }}' as nullable_column
where not exists (
    select from pg_attribute as columns
    where columns.attrelid = '{{ model }}'::regclass and columns.attname = '{{ column_name }}' and columns.attnotnull
)
{% endtest %}

{# Post-hook of a mart keeping its rows between builds: a unique index on its key `columns` (person_key first, for
   the pre-hook deleting a person's rows), so that a refresh's insert refuses a duplicate. Made when the table is
   built whole, or at the first refresh of one built before it. Unnamed, PostgreSQL picks a free name: a full
   refresh builds the table beside the old one, renamed __dbt_backup but still holding the index it named. #}
{% macro unique_index(columns) -%}
    do $unique_index$ begin
        if not {{ _unique_index_exists(this, columns) }} then
            create unique index on {{ this }} ({{ columns | join(', ') }}) nulls not distinct;
        end if;
    end $unique_index$
{%- endmacro %}

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
