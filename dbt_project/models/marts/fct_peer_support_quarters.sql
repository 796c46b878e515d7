{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    meta={'person_change_sources': ['housing_tenancies', 'housing_support_contacts', 'participants']},
    pre_hook="{{ delete_changed_persons(
        ref('int_participants_observed'),
        since=['quarter', observation_quarter_of(['housing_support_contacts'])],
        logged_inputs='participants',
    ) }}",
    post_hook="{{ mark_person_changes_read() }}",
) }}

-- Peer support of each participant in each quarter in which they held a programme tenancy: the minutes of their
-- contacts with a peer worker (pair-aidance) dated on a day they held a programme tenancy since entry (before the
-- end of observation or death), against the quarter's days in a tenancy (fct_housing_quarters), for peer-support
-- hours per person-year by reporting quarter. fct_peer_support adds these quarters up, so that a contact before
-- entry, between two tenancies, after moving on or after death counts neither by quarter nor over the whole stay.
-- A refresh recomputes the persons whose tenancies, contacts, site, entry or death changed (int_participants_observed
-- logs the latter), and every person's quarters from the latest held on, or the quarter of the end
-- of the housing data or of the contacts file if earlier (macros/person_changes.sql): before it, a quarter's days
-- in a tenancy and contacts depend on nothing else.
with quarters as (
    select * from {{ ref('fct_housing_quarters') }}
    where days_in_tenancy > 0 and {{ is_recomputed('person_key', 'quarter') }}
),

persons as (
    select person_key, entry_date, observed_until from {{ ref('int_participants_observed') }}
),

tenancies as (
    select * from {{ ref('stg_housing__tenancies') }}
),

contacts as (
    select contacts.person_key, {{ quarter_label('contacts.contact_date') }} as quarter, contacts.duration_minutes
    from {{ ref('stg_housing__support_contacts') }} as contacts
    inner join persons on contacts.person_key = persons.person_key
    where
        contacts.contact_kind = 'pair_aidance'
        and contacts.contact_date >= persons.entry_date
        and contacts.contact_date < persons.observed_until
        -- a day against the first recomputed (one value), not each contact's quarter label against the first label
        and contacts.contact_date >= {{ recomputed_from('contacts.person_key', "'-infinity'::date") }}
        and exists (
            select 1
            from tenancies
            where
                tenancies.person_key = contacts.person_key
                and tenancies.start_date <= contacts.contact_date
                and (tenancies.end_date is null or tenancies.end_date > contacts.contact_date)
        )
)

select
    quarters.person_key,
    quarters.site,
    quarters.quarter,
    quarters.days_in_tenancy,
    coalesce(minutes.peer_minutes, 0)::integer as peer_minutes
from quarters
-- the contacts summed by quarter first, then joined: one row each, no grouping of the quarters' columns after
left join (
    select person_key, quarter, sum(duration_minutes) as peer_minutes from contacts group by person_key, quarter
) as minutes on quarters.person_key = minutes.person_key and quarters.quarter = minutes.quarter
