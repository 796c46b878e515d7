-- One row per person whose programme stay ended with a move to other permanent housing (logement_autonome),
-- with their first return to homelessness after it, if any.
-- A return is the first sign of homelessness after the exit day: a night in an emergency shelter (115 / SIAO),
-- or a new programme tenancy (the programme houses homeless people only).
with exits as (
    select * from {{ ref('int_participants_exited') }}
    where programme_exit_reason = 'logement_autonome'
),

entries as (
    select * from {{ ref('int_participants_entered') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

tenancies as (
    select * from {{ ref('stg_housing__tenancies') }}
),

signals as (
    select exits.person_key, tenancies.start_date as signal_date
    from exits
    inner join tenancies
        on exits.person_key = tenancies.person_key and tenancies.start_date > exits.programme_exit_date
    union all
    select exits.person_key, nights.night_date as signal_date
    from exits
    inner join {{ ref('stg_shelter__nights') }} as nights
        on exits.person_key = nights.person_key and nights.night_date > exits.programme_exit_date
),

returns as (
    select person_key, min(signal_date) as return_date
    from signals
    group by person_key
)

select
    exits.person_key,
    entries.site,
    entries.entry_cohort,
    exits.programme_exit_date as exit_date,
    returns.return_date,
    returns.return_date - exits.programme_exit_date as days_to_return,
    observation.observation_end - exits.programme_exit_date as days_observed_after_exit
from exits
inner join entries on exits.person_key = entries.person_key
cross join observation
left join returns on exits.person_key = returns.person_key
