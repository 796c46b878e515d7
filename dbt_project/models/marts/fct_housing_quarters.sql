{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    meta={'person_change_sources': ['housing_tenancies', 'shelter_nights', 'participants']},
    pre_hook="{{ delete_changed_persons(
        ref('int_participants_observed'),
        since=['quarter', housing_quarters_since(), ['complete_until', 'shelter_followed_from']],
        logged_inputs='participants',
    ) }}",
    post_hook="{{ mark_person_changes_read() }}",
) }}

-- Days observed and days stably housed (their share's) and days in a programme tenancy of each person in each
-- calendar quarter since entry, for the share of days stably housed and peer-support hours by reporting quarter;
-- fct_housing_tenure and fct_peer_support add them up over the whole observation.
-- Stably housed: in a programme tenancy, or after each move on to other permanent housing until the first return
-- to homelessness after it, if any (int_participants_moved_on: a shelter night or a new programme tenancy), not
-- only after the first programme exit: someone who left for prison, was housed again and moved on counts.
-- Observation runs from entry to the end of the housing data, or to death (int_participants_observed), and each
-- count only up to the end of the other source it is set against too (observation_end_of): days observed and
-- stably housed, which a shelter night ends, to the shelter data's (a month the shelter has not sent yet would
-- count everyone who moved on as housed throughout it); days in a tenancy, which peer-support minutes are rated
-- against, to the support contacts file's (a month without its contacts would count as one without peer
-- support). Before a first extract of that source, none is observed.
-- The shelter data observe from their earliest night (int_sources_observed.observed_from), and a move on is
-- followed only from there, as for returns (fct_housing_returns): the days after a move dated before that night,
-- to the return after it or the end of observation, count neither as observed nor as stably housed, since a return
-- in the nights never sent would be seen nowhere and would end those days after that night as well. Days in a
-- tenancy, or after an exit that lost housing, are known from the housing data alone and still count.
-- A refresh (macros/person_changes.sql) recomputes the persons whose tenancies, shelter nights, entry, site or death
-- changed, and every person's quarters from the one the ends of observation moved in (housing_quarters_since): an
-- unchanged person's quarters start there, and their episodes ended before it are left out, the days after it
-- being the same without them.
with observation as (
    {{ housing_quarters_observation() }}
),

persons as (
    select
        observed.*,
        least(observed.observed_until, coalesce(observation.shelter_end + 1, observed.entry_date))
            as housed_observed_until,
        least(observed.observed_until, coalesce(observation.contacts_end + 1, observed.entry_date))
            as tenancy_observed_until,
        ({{ recomputed_from('observed.person_key', "date_trunc('quarter', observed.entry_date)") }})::date as first_quarter
    from {{ ref('int_participants_observed') }} as observed
    cross join observation
),

-- each quarter the person is observed in, and the days of it observed: [observed_from, observed_to), of which
-- [observed_from, housed_observed_to) for the days stably housed and [observed_from, tenancy_observed_to) for
-- the days in a tenancy
quarters as (
    select
        persons.person_key,
        persons.site,
        persons.entry_cohort,
        starts.quarter_start::date as quarter_start,
        greatest(persons.entry_date, starts.quarter_start::date) as observed_from,
        least(persons.observed_until, (starts.quarter_start + interval '3 months')::date) as observed_to,
        least(persons.housed_observed_until, (starts.quarter_start + interval '3 months')::date)
            as housed_observed_to,
        least(persons.tenancy_observed_until, (starts.quarter_start + interval '3 months')::date)
            as tenancy_observed_to
    from persons
    cross join lateral generate_series(
        persons.first_quarter, persons.observed_until - 1, interval '3 months'
    ) as starts (quarter_start)
),

-- each move on's days until the return after it; followed only from the shelter's earliest night on (with no
-- shelter extract no day is observed whatever this says)
moved_on_episodes as (
    select
        persons.person_key,
        moves.exit_date as start_day,
        least(persons.observed_until, moves.return_date) as end_day,
        coalesce(moves.exit_date >= observation.shelter_followed_from, false) as is_followed
    from persons
    inner join {{ ref('int_participants_moved_on') }} as moves on persons.person_key = moves.person_key
    cross join observation
    where least(persons.observed_until, moves.return_date) > persons.first_quarter
),

housed_episodes as (
    select
        persons.person_key,
        greatest(tenancies.start_date, persons.entry_date) as start_day,
        least(coalesce(tenancies.end_date, persons.observed_until), persons.observed_until) as end_day,
        true as in_tenancy
    from persons
    inner join {{ ref('stg_housing__tenancies') }} as tenancies on persons.person_key = tenancies.person_key
    where least(coalesce(tenancies.end_date, persons.observed_until), persons.observed_until) > persons.first_quarter
    union all
    select person_key, start_day, end_day, false as in_tenancy from moved_on_episodes
    where is_followed
),

-- a move on's days never overlap a tenancy's (int_participants_moved_on: a tenancy running on the exit day is no
-- move on, one starting after it a return), so taking them out of the days observed takes none stably housed
unseen_episodes as (
    select person_key, start_day, end_day from moved_on_episodes
    where not is_followed
),

-- each person's episodes merged into disjoint islands once, over their whole observation: a quarter's days are
-- then the sum of each island's overlap with the part of the quarter observed, with no merging per quarter
housed_islands as (
    {{ day_islands('housed_episodes', ['person_key']) }}
),

tenancy_episodes as (
    select person_key, start_day, end_day from housed_episodes
    where in_tenancy
),

tenancy_islands as (
    {{ day_islands('tenancy_episodes', ['person_key']) }}
),

unseen_islands as (
    {{ day_islands('unseen_episodes', ['person_key']) }}
),

islands as (
    select person_key, island_start, island_end, 'housed' as kind from housed_islands
    union all
    select person_key, island_start, island_end, 'tenancy' as kind from tenancy_islands
    union all
    select person_key, island_start, island_end, 'unseen' as kind from unseen_islands
),

quarter_days as (
    select
        quarters.person_key,
        quarters.quarter_start,
        sum(greatest(
            least(islands.island_end, quarters.housed_observed_to) - greatest(islands.island_start, quarters.observed_from), 0
        )) filter (where islands.kind = 'housed') as days_stably_housed,
        sum(greatest(
            least(islands.island_end, quarters.housed_observed_to) - greatest(islands.island_start, quarters.observed_from), 0
        )) filter (where islands.kind = 'unseen') as days_unseen,
        sum(greatest(
            least(islands.island_end, quarters.tenancy_observed_to) - greatest(islands.island_start, quarters.observed_from), 0
        )) filter (where islands.kind = 'tenancy') as days_in_tenancy
    from quarters
    inner join islands
        on quarters.person_key = islands.person_key
        and islands.island_start < quarters.observed_to
        and islands.island_end > quarters.observed_from
    group by quarters.person_key, quarters.quarter_start
)

select
    quarters.person_key,
    quarters.site,
    quarters.entry_cohort,
    {{ quarter_label('quarters.quarter_start') }} as quarter,
    (greatest(quarters.housed_observed_to - quarters.observed_from, 0) - coalesce(quarter_days.days_unseen, 0))::integer
        as days_observed,
    coalesce(quarter_days.days_stably_housed, 0)::integer as days_stably_housed,
    coalesce(quarter_days.days_in_tenancy, 0)::integer as days_in_tenancy,
    -- what a refresh compares with its observation
    case when quarters.quarter_start >= date_trunc('quarter', observation.complete_until - 1)
        then observation.complete_until end as complete_until,
    observation.shelter_followed_from
from quarters
cross join observation
left join quarter_days
    on quarters.person_key = quarter_days.person_key and quarters.quarter_start = quarter_days.quarter_start
