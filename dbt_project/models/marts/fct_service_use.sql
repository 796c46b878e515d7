{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    meta={'person_change_sources': ['health_encounters', 'justice_events', 'shelter_nights', 'service_windows']},
    pre_hook="{{ delete_changed_persons(
        ref('int_service_windows_eligible'), span=['window_start', 'window_end'], logged_inputs='service_windows'
    ) }}",
    post_hook="{{ mark_person_changes_read() }}",
) }}

-- Health, justice and emergency shelter use of each person in the 12 months before entry and the 12 months after, one row per
-- person, window and measure, for people the source observes over both whole windows (int_service_windows_observed:
-- the window before starts on or after the source's earliest event, the window after ends within its latest
-- extract, and the person was alive throughout). Each eligible person contributes one person-year per window.
-- Counts take events starting inside the window; days take the nights between admission (or incarceration) and
-- discharge (or release) that fall inside the window, each night counted once when episodes overlap. An
-- incarceration without an end is still running. Shelter nights count distinct nights.
-- A refresh recomputes only the persons whose events or windows changed since (macros/person_changes.sql): a
-- person's use is final once the source observes both windows, until a partner corrects their events.
with windows as (
    select * from {{ ref('int_participants_windowed') }}
    {%- if is_incremental() %}
    where person_key in (select person_key from {{ changed_persons() }})
    {%- endif %}
),

eligible as (
    select * from {{ ref('int_service_windows_eligible') }}
),

encounters as (
    select * from {{ ref('stg_health__encounters') }}
),

justice as (
    select * from {{ ref('stg_justice__events') }}
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
    inner join {{ ref('stg_shelter__nights') }} as nights
        on windows.person_key = nights.person_key
        and nights.night_date >= windows.window_start
        and nights.night_date < windows.window_end
    group by windows.person_key, windows.window_name
),

incarceration_days as (
    {{ union_days('incarcerations', ['person_key', 'window_name']) }}
),

amounts as (
    select
        windows.person_key,
        windows.site,
        windows.entry_cohort,
        windows.window_name,
        measures.source,
        measures.measure,
        measures.amount
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
)

select
    amounts.person_key,
    amounts.site,
    amounts.entry_cohort,
    amounts.source,
    amounts.measure,
    amounts.window_name,
    eligible.window_start,
    eligible.window_end,
    coalesce(amounts.amount, 0)::integer as amount
from amounts
inner join eligible
    on amounts.person_key = eligible.person_key
    and amounts.source = eligible.source
    and amounts.window_name = eligible.window_name
