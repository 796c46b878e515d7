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
with shelter_observed as (
    {{ observation_end_of(['shelter_nights']) }}
),

contacts_observed as (
    {{ observation_end_of(['housing_support_contacts']) }}
),

persons as (
    select
        observed.*,
        least(observed.observed_until, coalesce(shelter_observed.observation_end + 1, observed.entry_date))
            as housed_observed_until,
        least(observed.observed_until, coalesce(contacts_observed.observation_end + 1, observed.entry_date))
            as tenancy_observed_until
    from {{ ref('int_participants_observed') }} as observed
    left join shelter_observed on true
    left join contacts_observed on true
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
        date_trunc('quarter', persons.entry_date), persons.observed_until - 1, interval '3 months'
    ) as starts (quarter_start)
),

housed_episodes as (
    select
        persons.person_key,
        greatest(tenancies.start_date, persons.entry_date) as start_day,
        least(coalesce(tenancies.end_date, persons.observed_until), persons.observed_until) as end_day,
        true as in_tenancy
    from persons
    inner join {{ ref('stg_housing__tenancies') }} as tenancies on persons.person_key = tenancies.person_key
    union all
    select
        persons.person_key,
        moves.exit_date as start_day,
        least(persons.observed_until, moves.return_date) as end_day,
        false as in_tenancy
    from persons
    inner join {{ ref('int_participants_moved_on') }} as moves on persons.person_key = moves.person_key
),

-- episodes cut at quarter ends, so that each quarter's days are counted once within it
quarter_episodes as (
    select
        quarters.person_key,
        quarters.quarter_start,
        greatest(episodes.start_day, quarters.observed_from) as start_day,
        least(episodes.end_day, quarters.tenancy_observed_to) as tenancy_end_day,
        least(episodes.end_day, quarters.housed_observed_to) as housed_end_day,
        episodes.in_tenancy
    from quarters
    inner join housed_episodes as episodes
        on quarters.person_key = episodes.person_key
        and episodes.start_day < quarters.observed_to
        and episodes.end_day > quarters.observed_from
),

quarter_tenancies as (
    select person_key, quarter_start, start_day, tenancy_end_day as end_day from quarter_episodes
    where in_tenancy
),

quarter_housed as (
    select person_key, quarter_start, start_day, housed_end_day as end_day from quarter_episodes
),

housed as (
    {{ union_days('quarter_housed', ['person_key', 'quarter_start']) }}
),

tenancy_days as (
    {{ union_days('quarter_tenancies', ['person_key', 'quarter_start']) }}
)

select
    quarters.person_key,
    quarters.site,
    quarters.entry_cohort,
    {{ quarter_label('quarters.quarter_start') }} as quarter,
    greatest(quarters.housed_observed_to - quarters.observed_from, 0) as days_observed,
    coalesce(housed.covered_days, 0)::integer as days_stably_housed,
    coalesce(tenancy_days.covered_days, 0)::integer as days_in_tenancy
from quarters
left join housed on quarters.person_key = housed.person_key and quarters.quarter_start = housed.quarter_start
left join tenancy_days
    on quarters.person_key = tenancy_days.person_key and quarters.quarter_start = tenancy_days.quarter_start
