-- Health, justice and emergency shelter use of each person in the 12 months before entry and the 12 months after,
-- one row per person, window and measure, for every person with windows (fct_service_use keeps those the sources
-- observe long enough). Counts take events starting inside the window; days take the nights between admission
-- (or incarceration) and discharge (or release) that fall inside the window, each night counted once when
-- episodes overlap. An incarceration without an end is still running. Shelter nights count distinct nights.
--
-- Incremental by person: a person's amounts depend only on their windows and their own rows, so a refresh
-- recomputes only the persons whose inputs changed, found by a digest of those inputs kept on their rows: the
-- windows, and per source the count and the sum of the row versions of their staged rows (a version is never
-- reused and only grows, so a row added, rewritten or removed changes one of them); justice, a snapshot staged
-- whole each month with no versions, by its rows' content. Who is observed long enough changes every month for
-- everyone, hence left to fct_service_use.
{{ config(
    materialized='incremental',
    unique_key='person_key',
    incremental_strategy='delete+insert',
    indexes=[{'columns': ['person_key', 'window_name', 'measure'], 'unique': True}],
    post_hook="delete from {{ this }} as built where not exists (
        select from {{ ref('int_participants_windowed') }} as windows where windows.person_key = built.person_key
    )",
) }}

with all_windows as (
    select * from {{ ref('int_participants_windowed') }}
),

encounters as not materialized (
    select * from {{ ref('stg_health__encounters') }}
),

justice as not materialized (
    select * from {{ ref('stg_justice__events') }}
),

nights as not materialized (
    select * from {{ ref('stg_shelter__nights') }}
),

inputs as (
    select
        spans.person_key,
        md5(concat_ws('|', spans.spans, encounter_rows.rows, justice_rows.rows, night_rows.rows))::uuid as inputs_digest
    from (
        select
            person_key,
            string_agg(concat_ws(',', window_name, window_start, window_end), ';' order by window_name) as spans
        from all_windows
        group by person_key
    ) as spans
    left join (
        select person_key, count(*) || ':' || sum(row_version) as rows from encounters group by person_key
    ) as encounter_rows on spans.person_key = encounter_rows.person_key
    left join (
        select
            person_key,
            string_agg(concat_ws(',', event_type, start_date, end_date), ';' order by event_type, start_date, end_date)
                as rows
        from justice
        group by person_key
    ) as justice_rows on spans.person_key = justice_rows.person_key
    left join (
        select person_key, count(*) || ':' || sum(row_version) as rows from nights group by person_key
    ) as night_rows on spans.person_key = night_rows.person_key
),

changed as (
    select * from inputs
    {%- if is_incremental() %}
    where not exists (  -- each of a person's rows holds their digest: one per person is compared (index)
        select from {{ this }} as built
        where built.person_key = inputs.person_key
            and built.window_name = 'before'
            and built.measure = 'shelter_nights'
            and built.inputs_digest = inputs.inputs_digest
    )
    {%- endif %}
),

windows as (
    select
        all_windows.person_key,
        all_windows.window_name,
        all_windows.window_start,
        all_windows.window_end,
        changed.inputs_digest
    from all_windows
    inner join changed on all_windows.person_key = changed.person_key
),

health_counts as (
    select
        windows.person_key,
        windows.window_name,
        count(*) filter (where encounters.encounter_type = 'urgence') as emergency_visits,
        count(*) filter (where encounters.encounter_type = 'hospitalisation') as admissions,
        count(*) filter (
            where encounters.encounter_type = 'hospitalisation' and encounters.service = 'general'
        ) as admissions_general,
        count(*) filter (
            where encounters.encounter_type = 'hospitalisation' and encounters.service = 'psychiatrie'
        ) as admissions_psychiatric
    from windows
    inner join encounters
        on windows.person_key = encounters.person_key
        and encounters.admission_date >= windows.window_start
        and encounters.admission_date < windows.window_end
    group by windows.person_key, windows.window_name
),

stays as (
    select
        windows.person_key,
        windows.window_name,
        coalesce(encounters.service, 'unknown') as service,
        greatest(encounters.admission_date, windows.window_start) as start_day,
        least(encounters.discharge_date, windows.window_end) as end_day
    from windows
    inner join encounters
        on windows.person_key = encounters.person_key
        and encounters.encounter_type = 'hospitalisation'
        and encounters.admission_date < windows.window_end
        and encounters.discharge_date > windows.window_start
),

stay_days_by_service as (
    {{ union_days('stays', ['person_key', 'window_name', 'service']) }}
),

stay_days as (
    {{ union_days('stays', ['person_key', 'window_name']) }}
),

custodies as (
    select
        windows.person_key,
        windows.window_name,
        count(*) as custody_events
    from windows
    inner join justice
        on windows.person_key = justice.person_key
        and justice.event_type = 'garde_a_vue'
        and justice.start_date >= windows.window_start
        and justice.start_date < windows.window_end
    group by windows.person_key, windows.window_name
),

incarcerations as (
    select
        windows.person_key,
        windows.window_name,
        greatest(justice.start_date, windows.window_start) as start_day,
        least(coalesce(justice.end_date, windows.window_end), windows.window_end) as end_day
    from windows
    inner join justice
        on windows.person_key = justice.person_key
        and justice.event_type = 'incarceration'
        and justice.start_date < windows.window_end
        and (justice.end_date is null or justice.end_date > windows.window_start)
),

shelter as (
    select
        windows.person_key,
        windows.window_name,
        count(distinct nights.night_date) as shelter_nights
    from windows
    inner join nights
        on windows.person_key = nights.person_key
        and nights.night_date >= windows.window_start
        and nights.night_date < windows.window_end
    group by windows.person_key, windows.window_name
),

incarceration_days as (
    {{ union_days('incarcerations', ['person_key', 'window_name']) }}
)

select
    windows.person_key,
    measures.source,
    measures.measure,
    windows.window_name,
    coalesce(measures.amount, 0)::integer as amount,
    windows.inputs_digest
from windows
left join health_counts
    on windows.person_key = health_counts.person_key and windows.window_name = health_counts.window_name
left join stay_days
    on windows.person_key = stay_days.person_key and windows.window_name = stay_days.window_name
left join stay_days_by_service as general_days
    on windows.person_key = general_days.person_key
    and windows.window_name = general_days.window_name
    and general_days.service = 'general'
left join stay_days_by_service as psychiatric_days
    on windows.person_key = psychiatric_days.person_key
    and windows.window_name = psychiatric_days.window_name
    and psychiatric_days.service = 'psychiatrie'
left join custodies
    on windows.person_key = custodies.person_key and windows.window_name = custodies.window_name
left join incarceration_days
    on windows.person_key = incarceration_days.person_key
    and windows.window_name = incarceration_days.window_name
left join shelter
    on windows.person_key = shelter.person_key and windows.window_name = shelter.window_name
cross join lateral (
    values
        ('health_encounters', 'health_emergency_visits', health_counts.emergency_visits),
        ('health_encounters', 'health_admissions', health_counts.admissions),
        ('health_encounters', 'health_admissions_general', health_counts.admissions_general),
        ('health_encounters', 'health_admissions_psychiatric', health_counts.admissions_psychiatric),
        ('health_encounters', 'health_hospital_days', stay_days.covered_days),
        ('health_encounters', 'health_hospital_days_general', general_days.covered_days),
        ('health_encounters', 'health_hospital_days_psychiatric', psychiatric_days.covered_days),
        ('justice_events', 'justice_custody_events', custodies.custody_events),
        ('justice_events', 'justice_incarceration_days', incarceration_days.covered_days),
        ('shelter_nights', 'shelter_nights', shelter.shelter_nights)
) as measures (source, measure, amount)
