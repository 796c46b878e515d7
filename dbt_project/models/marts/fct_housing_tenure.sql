-- One row per person: time from referral to entry, days observed and days stably housed since entry, and the
-- person's time housed in months for the Kaplan-Meier curve.
-- Stably housed (fct_housing_quarters, summed over the quarters, as the days observed, which end with the shelter
-- data too, and leave out the days after a move on dated before the shelter's history, to the return after it): in
-- a programme tenancy, or after each move on to other permanent housing until the first return to homelessness
-- after it, if any.
-- Observation runs from entry to the end of the housing data, or to death (int_participants_observed).
-- Kaplan-Meier: the event is the first exit that loses housing (street, shelter, prison, hospital), counted at
-- the first monthly checkpoint on or after it; people who moved on stay housed and are censored at the end of
-- observation; people who died (whatever their programme exit) are censored at the last checkpoint before death.
-- An exit or a death after the end of observation is not observed yet (a tenancies file ahead of its participants
-- file, a hospital's later extract): censored at the end of observation, as everyone still housed, rather than
-- counted at a month no one else is followed to.
with persons as (
    select
        *,
        coalesce(
            programme_exit_date <= observation_end
            and programme_exit_reason is distinct from 'logement_autonome'
            and programme_exit_reason is distinct from 'deces',
            false
        ) as is_housing_lost,
        coalesce(death_date <= observation_end, false) as is_dead
    from {{ ref('int_participants_observed') }}
),

housed as (
    select person_key, sum(days_observed) as days_observed, sum(days_stably_housed) as days_stably_housed
    from {{ ref('fct_housing_quarters') }}
    group by person_key
)

select
    persons.person_key,
    persons.site,
    persons.entry_cohort,
    persons.entry_date,
    persons.entry_date - persons.referral_date as days_referral_to_entry,
    coalesce(housed.days_observed, 0)::integer as days_observed,
    coalesce(housed.days_stably_housed, 0)::integer as days_stably_housed,
    persons.is_housing_lost as km_is_event,
    case
        when persons.is_housing_lost
            then {{ months_reached('persons.entry_date', 'persons.programme_exit_date') }}
        -- a death ends the time housed whatever exit came before it (moved on, then housed again, then died)
        when persons.is_dead
            then {{ months_reached('persons.entry_date', 'persons.death_date') }} - 1
        else {{ completed_months('persons.entry_date', 'persons.observation_end') }}
    end as km_months
from persons
left join housed on persons.person_key = housed.person_key
