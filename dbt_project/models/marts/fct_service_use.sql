-- Health, justice and emergency shelter use of each person in the 12 months before entry and the 12 months after
-- (int_service_amounts), one row per person, window and measure, for people the source observes over both whole
-- windows: the window before starts on or after the source's earliest event, the window after ends within its
-- latest extract, and the person was alive throughout. Each eligible person contributes one person-year per window.
with windows as (
    select
        windows.*,
        exits.death_date
    from {{ ref('int_participants_windowed') }} as windows
    inner join {{ ref('int_participants_exited') }} as exits on windows.person_key = exits.person_key
),

sources as (
    select * from {{ ref('int_sources_observed') }}
    where source in ('health_encounters', 'justice_events', 'shelter_nights')
),

eligible as (
    select
        windows.person_key,
        sources.source
    from windows
    inner join sources on true
    group by windows.person_key, sources.source
    having bool_and(
        windows.window_start >= sources.observed_from
        and windows.window_end <= sources.observed_to + 1
        and (windows.death_date is null or windows.death_date >= windows.window_end)
    )
)

select
    amounts.person_key,
    windows.site,
    windows.entry_cohort,
    amounts.source,
    amounts.measure,
    amounts.window_name,
    amounts.amount
from {{ ref('int_service_amounts') }} as amounts
inner join windows on amounts.person_key = windows.person_key and amounts.window_name = windows.window_name
inner join eligible on amounts.person_key = eligible.person_key and amounts.source = eligible.source
