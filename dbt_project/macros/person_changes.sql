{#
  Marts refreshed person by person. A month's extracts change the events of a few persons, and most of a person
  level mart's rows (a person's use of services in the year before and after entry) stay as they were; rebuilding
  it whole every month made a refresh cost as much as a full build. Such a mart recomputes only the persons whose
  inputs changed since it was last built:
  - the persons with a staged event changed within the days the mart counts of them: the staging models of its
    sources (meta `logs_person_changes`: the columns of a row's first and last day) log in raw.person_changes
    each person and the days of each row a build inserted or deleted, or a null person for every person when a
    table is staged whole; the mart reads the log from where it last read (raw.person_change_readers);
  - the persons whose rows of `inputs`, a model of what else the mart reads (windows, eligibility), differ from
    the same columns of its own rows; or, when `inputs` logs its own changes as the snapshot staging models do
    (`logged_inputs`: the name it logs under), the persons it logged.
  The mart's pre-hook deletes those persons' rows and its body computes theirs again (`changed_persons()`); its
  post-hook records what it read and deletes what every reader of the source has read. A mart with no record
  (new, or upgraded) recomputes every person once; a full refresh rebuilds it whole as before.
#}

{# The columns of a logged staging model's rows' first and last day; none when its source is not logged. #}
{% macro _logged_days() -%}
    {{ return(config.get('meta', {}).get('logs_person_changes')) }}
{%- endmacro %}

{# The name a logged model's changes go under: its raw source's, or for a model of no one source its meta's
   `person_change_source`. #}
{% macro _logged_source() -%}
    {%- set meta = config.get('meta') %}
    {{ return(meta.get('person_change_source') or meta['raw_source'][1]) }}
{%- endmacro %}

{% macro _log_rows(relation) -%}
    {%- set first_day, last_day = _logged_days() %}
    insert into raw.person_changes (source, person_key, first_day, last_day)
    select distinct '{{ _logged_source() }}', person_key, ({{ first_day }})::date, ({{ last_day }})::date
    from {{ relation }}
{%- endmacro %}

{# Staging pre-hook statements that delete rows (the delete called with it) as they are, or logging the rows they
   delete when the model's source is logged. #}
{% macro delete_logging_persons() -%}
    {%- if _logged_days() %}
    with deleted as ({{ caller() }} returning *)
    {{ _log_rows('deleted') }}
    {%- else %}
    {{ caller() }}
    {%- endif %}
{%- endmacro %}

{# Staging: every person changed (a table staged whole, or matched against its source without a log). #}
{% macro log_every_person_changed(source_name) -%}
    {%- if _logged_days() %}
    insert into raw.person_changes (source) values ('{{ source_name }}');
    {%- endif %}
{%- endmacro %}

{# Staging: the rows in `relation`, about to be inserted. #}
{% macro log_inserted_persons(relation) -%}
    {%- if _logged_days() %}
    {{ _log_rows(relation) }};
    {%- endif %}
{%- endmacro %}

{# A staging table rebuilt whole at each build (a snapshot source): the pre-hook keeps its rows' `columns` as they
   were, the post-hook logs the rows that went or came (every person when there was no table before). #}
{% macro remember_rows(columns) -%}
    {%- if not execute or not _logged_days() %}{{ return('') }}{% endif %}
    {%- if load_relation(this) is not none %}
    create temporary table {{ this.identifier }}__before on commit drop as
    select person_key, {{ columns | join(', ') }} from {{ this }}
    {%- endif %}
{%- endmacro %}

{% macro log_changed_rows(columns) -%}
    {%- if not execute or not _logged_days() %}{{ return('') }}{% endif %}
    {%- set rows = 'person_key, ' ~ columns | join(', ') %}
    do $changed$ begin
        if to_regclass('pg_temp.{{ this.identifier }}__before') is null then
            {{ log_every_person_changed(_logged_source()) }}
        else
            with changed as (
                (select {{ rows }} from {{ this }} except select {{ rows }} from {{ this.identifier }}__before)
                union all
                (select {{ rows }} from {{ this.identifier }}__before except select {{ rows }} from {{ this }})
            )
            {{ _log_rows('changed') }};
        end if;
    end $changed$
{%- endmacro %}

{# Mart pre-hook: what the log holds for it (`sources`, its meta `person_change_sources`) is noted, the persons
   changed since it last read found (`changed_persons()`) and their rows deleted, to be computed again.
   - `inputs` holds `columns` for the persons the mart holds, the person key among them: a person whose rows there
     differ from the mart's is changed. With `logged_inputs`, the name `inputs` logs its changes under (one of
     `sources`), those it logged are, whatever their days, and no row of the mart is read (a `select distinct`
     over the whole mart, the larger part of a refresh's pre-hook): a person's rows gone from the mart by other
     means than a build are not put back until their inputs change;
   - `span`, two of those columns, the first day and the day after the last of the events the mart counts of a
     person: a logged change outside it leaves them as they are (without, any logged change counts);
   - `since`, a column and a query of its value for the end of observation (a quarter label): a mart by quarter,
     whose latest quarter grows as the observation does, also recomputes every person's rows from its latest
     quarter held, or that end's if earlier (`recomputed_since()`); a logged change dated from that quarter on (a
     new month's events) then changes no person's earlier rows: the log's first day is the first it can change; a
     third item names the mart's own columns the query reads.
   A mart with no record of what it read, or built before `columns`, recomputes every person. #}
{% macro delete_changed_persons(inputs=none, columns=[], span=none, since=none, logged_inputs=none) -%}
    {%- if not execute %}{{ return('') }}{% endif %}
    {%- set sources = config.get('meta')['person_change_sources'] %}
    {%- set model_name = this.identifier %}
    create temporary table {{ model_name }}__read on commit drop as
    select sources.source, coalesce(max(changes.change_id), 0) as change_id
    from unnest(array['{{ sources | join("', '") }}']) as sources (source)
    left join raw.person_changes as changes on changes.source = sources.source
    group by sources.source;
    {%- if is_incremental() %}
    {%- set held = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
    {%- set upgraded = (columns + (since[2] if since and since | length > 2 else [])) | reject('in', held) | list | length > 0 %}
    create temporary table {{ model_name }}__unread on commit drop as
    select
        read.source, changes.change_id, changes.person_key, changes.first_day, changes.last_day,
        readers.source is null as never_read
    from {{ model_name }}__read as read
    left join raw.person_change_readers as readers on readers.model = '{{ model_name }}' and readers.source = read.source
    left join raw.person_changes as changes
        on changes.source = read.source
        and changes.change_id > coalesce(readers.change_id, 0)
        and changes.change_id <= read.change_id;
    {#- a table staged whole, a source never read, a mart built before its columns: every person #}
    create temporary table {{ model_name }}__everyone on commit drop as
    select {{ 'true' if upgraded else 'false' }} or exists (
        select from {{ model_name }}__unread where never_read or (change_id is not null and person_key is null)
    ) as is_due;
    {%- if since %}
    create temporary table {{ model_name }}__since on commit drop as
    {%- if upgraded %}
    select '' as since;
    {%- else %}
    select case when (select is_due from {{ model_name }}__everyone) then ''
        else coalesce(least((select max({{ since[0] }}) from {{ this }}), ({{ since[1] }})), '') end as since;
    {%- endif %}
    {%- endif %}
    {%- set compared = inputs is not none and not logged_inputs and not upgraded %}
    {%- set spanned = span and (compared or logged_inputs) %}
    create temporary table {{ model_name }}__changed on commit drop as
    with
    {%- if compared %}
    inputs as (
        select {{ columns | join(', ') }} from {{ inputs }}
    ),

    held as (
        select distinct {{ columns | join(', ') }} from {{ this }}
    ),
    {%- endif %}
    {%- if spanned %}

    spans as (
        select person_key, min({{ span[0] }}) as first_day, max({{ span[1] }}) as last_day
        from {{ 'held' if compared else inputs }}
        group by person_key
    ),
    {%- endif %}

    everyone as (
        select is_due from {{ model_name }}__everyone
    )
    {%- if compared %}

    select person_key from (select * from inputs except select * from held) as added
    union
    select person_key from (select * from held except select * from inputs) as removed
    union
    {%- endif %}
    {%- if inputs is not none %}
    select person_key from {{ inputs }} where (select is_due from everyone)
    union
    {%- endif %}
    select person_key from {{ this }} where (select is_due from everyone)
    union
    select unread.person_key from {{ model_name }}__unread as unread
    {%- if spanned %}
    left join spans on unread.person_key = spans.person_key
    {%- endif %}
    where unread.person_key is not null
    {%- if spanned %}
        and (
            {%- if logged_inputs %}
            unread.source = '{{ logged_inputs }}' or
            {%- endif %}
            (
                spans.person_key is not null
                and (unread.first_day is null or unread.first_day < spans.last_day)
                and (unread.last_day is null or unread.last_day >= spans.first_day)
            )
        )
    {%- endif %}
    {%- if since %}
        {#- a change dated from the first quarter recomputed on changes only rows recomputed anyway #}
        and (unread.first_day is null or {{ quarter_label('unread.first_day') }} < (select since from {{ recomputed_since() }}))
    {%- endif %};
    delete from {{ this }}
    where person_key in (select person_key from {{ changed_persons() }})
    {%- if since %}
        or {{ since[0] }} >= (select since from {{ recomputed_since() }})
    {%- endif %};
    {%- endif %}
{%- endmacro %}

{# The persons a refresh recomputes, for the mart's body to read on an incremental run. #}
{% macro changed_persons() -%}
    {{ this.identifier }}__changed
{%- endmacro %}

{# The first period a refresh recomputes for every person (a one-row `since`), for a mart by period. #}
{% macro recomputed_since() -%}
    {{ this.identifier }}__since
{%- endmacro %}

{# Whether a build computes the rows of `person_key` in `period`, for the body of a mart by period: all on a full
   build; on a refresh, the changed persons' and every person's from the first period recomputed. #}
{% macro is_recomputed(person_key, period) -%}
    {%- if is_incremental() -%}
    ({{ person_key }} in (select person_key from {{ changed_persons() }})
        or {{ period }} >= (select since from {{ recomputed_since() }}))
    {%- else -%}
    true
    {%- endif %}
{%- endmacro %}

{# The first day of `person_key`'s quarters a build generates from `first_day`, for the body of a mart by quarter:
   on a refresh an unchanged person's start at the first quarter recomputed, their earlier ones being kept. #}
{% macro recomputed_from(person_key, first_day) -%}
    {%- if is_incremental() -%}
    case when {{ person_key }} in (select person_key from {{ changed_persons() }}) then {{ first_day }}
        else greatest({{ first_day }}, (select {{ quarter_start("nullif(since, '')") }} from {{ recomputed_since() }}))
    end
    {%- else -%}
    {{ first_day }}
    {%- endif %}
{%- endmacro %}

{# Mart post-hook: what it read is recorded, and the log loses what every reader of its source has read. #}
{% macro mark_person_changes_read() -%}
    {%- if not execute %}{{ return('') }}{% endif %}
    insert into raw.person_change_readers (model, source, change_id)
    select '{{ this.identifier }}', source, change_id from {{ this.identifier }}__read
    on conflict (model, source) do update set change_id = excluded.change_id;
    {#- each source's least read once, not once per row of the log (a scan of the readers for each: 0.3-0.6 s) #}
    delete from raw.person_changes as changes
    using (
        select source, min(change_id) as change_id from raw.person_change_readers group by source
    ) as read_by_all
    where changes.source = read_by_all.source and changes.change_id <= read_by_all.change_id;
{%- endmacro %}
