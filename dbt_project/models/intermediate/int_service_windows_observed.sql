-- Whether each service source observes each person's two 12-month windows around entry whole: the window before
-- starts on or after the source's earliest event, the window after ends within what its extracts observe
-- (int_sources_observed), and the person was alive throughout. One not observed yet is awaited when only that end
-- falls short: a later extract, or a missing month sent, will observe them; a person who died in a window, or whose
-- window before starts before the source's history, never will be.
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

statuses as (
    select
        windows.person_key,
        windows.site,
        windows.entry_cohort,
        sources.source,
        bool_and(
            windows.window_start >= sources.observed_from
            and (windows.death_date is null or windows.death_date >= windows.window_end)
        ) as is_observable,
        bool_and(windows.window_end <= sources.observed_to + 1) as is_reached
    from windows
    inner join sources on true
    group by windows.person_key, windows.site, windows.entry_cohort, sources.source
)

select
    person_key,
    site,
    entry_cohort,
    source,
    is_observable and is_reached as is_observed,
    is_observable and not is_reached as is_awaited
from statuses
