{{ config(
    meta={'person_change_source': 'participants', 'logs_person_changes': ['null', 'null']},
    pre_hook="{{ remember_rows(['site', 'entry_cohort', 'entry_date', 'death_date']) }}",
    post_hook="{{ log_changed_rows(['site', 'entry_cohort', 'entry_date', 'death_date']) }}",
) }}

-- One row per person: their entry, how their programme stay ended, and how long they are observed. Each build logs
-- the persons whose site, entry or death came, went or changed (macros/person_changes.sql: no days, every day of
-- theirs), for the marts by quarter to recompute.
-- Observation runs from entry to the end of the housing data, or to death (days after death do not count):
-- observed_until is the first day not observed, so that observed_until - entry_date counts the days observed.
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

exits as (
    select * from {{ ref('int_participants_exited') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
)

select
    entries.person_key,
    entries.site,
    entries.entry_cohort,
    entries.referral_date,
    entries.entry_date,
    exits.programme_exit_date,
    exits.programme_exit_reason,
    exits.death_date,
    observation.observation_end,
    least(exits.death_date, observation.observation_end + 1) as observed_until
from entries
inner join exits on entries.person_key = exits.person_key
cross join observation
