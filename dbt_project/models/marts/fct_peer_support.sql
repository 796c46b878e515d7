-- Peer support of each participant since entry: contacts with a peer worker (pair-aidance) and their minutes,
-- and the days the person held a programme tenancy since entry (up to the end of observation, or death), the
-- exposure peer-support hours are rated against. Overlapping tenancies count their shared days once.
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

exits as (
    select * from {{ ref('int_participants_exited') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

persons as (
    select
        entries.person_key,
        entries.site,
        entries.entry_cohort,
        entries.entry_date,
        least(exits.death_date, observation.observation_end + 1) as observed_until
    from entries
    inner join exits on entries.person_key = exits.person_key
    cross join observation
),

tenancy_episodes as (
    select
        persons.person_key,
        greatest(tenancies.start_date, persons.entry_date) as start_day,
        least(coalesce(tenancies.end_date, persons.observed_until), persons.observed_until) as end_day
    from persons
    inner join {{ ref('stg_housing__tenancies') }} as tenancies on persons.person_key = tenancies.person_key
),

tenancy_days as (
    {{ union_days('tenancy_episodes', ['person_key']) }}
),

peer as (
    select
        person_key,
        count(*) as peer_contacts,
        sum(duration_minutes) as peer_minutes
    from {{ ref('stg_housing__support_contacts') }}
    where contact_kind = 'pair_aidance'
    group by person_key
)

select
    persons.person_key,
    persons.site,
    persons.entry_cohort,
    coalesce(tenancy_days.covered_days, 0)::integer as days_in_tenancy,
    coalesce(peer.peer_contacts, 0)::integer as peer_contacts,
    coalesce(peer.peer_minutes, 0)::integer as peer_minutes,
    peer.person_key is not null as has_met_peer_worker
from persons
left join tenancy_days on persons.person_key = tenancy_days.person_key
left join peer on persons.person_key = peer.person_key
