-- Peer support of each participant since entry: whether they ever met a peer worker (pair-aidance: any contact,
-- whatever its date), and the minutes of the contacts dated on a day they held a programme tenancy against the
-- days they held one since entry (up to the end of observation, or death), the exposure peer-support hours are
-- rated against: fct_peer_support_quarters and fct_housing_quarters added up, so that the whole stay is the sum
-- of its quarters. Whether they met one is known (else null) only once a support contacts file is loaded, and
-- for those who entered by its end: a housing operator that has sent its tenancies but not yet its contacts
-- would otherwise read as nobody having met a peer worker.
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

contacts_observed as (
    {{ observation_end_of(['housing_support_contacts']) }}
),

tenancy_days as (
    select person_key, sum(days_in_tenancy) as days_in_tenancy
    from {{ ref('fct_housing_quarters') }}
    group by person_key
),

housed_peer as (
    select person_key, sum(peer_minutes) as peer_minutes
    from {{ ref('fct_peer_support_quarters') }}
    group by person_key
),

peer as (
    select person_key, count(*) as peer_contacts
    from {{ ref('stg_housing__support_contacts') }}
    where contact_kind = 'pair_aidance'
    group by person_key
)

select
    entries.person_key,
    entries.site,
    entries.entry_cohort,
    coalesce(tenancy_days.days_in_tenancy, 0)::integer as days_in_tenancy,
    coalesce(peer.peer_contacts, 0)::integer as peer_contacts,
    coalesce(housed_peer.peer_minutes, 0)::integer as peer_minutes,
    case when entries.entry_date <= contacts_observed.observation_end then peer.person_key is not null end
        as has_met_peer_worker
from entries
left join contacts_observed on true
left join tenancy_days on entries.person_key = tenancy_days.person_key
left join housed_peer on entries.person_key = housed_peer.person_key
left join peer on entries.person_key = peer.person_key
