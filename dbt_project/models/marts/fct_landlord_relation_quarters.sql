{{ config(
    materialized='incremental',
    incremental_strategy='append',
    meta={'person_change_sources': ['landlord_leases', 'housing_tenancies', 'landlord_incidents', 'landlord_guarantee_claims']},
    pre_hook="{{ delete_changed_persons(
        ref('fct_landlord_relations'), ['person_key', 'site'], since=['quarter', landlord_file_ends_quarter()]
    ) }}",
    post_hook="{{ mark_person_changes_read() }}",
) }}

-- What partner landlords report about each tenant's programme tenancies by calendar quarter, up to the end of
-- observation, for the landlord indicators by reporting quarter: the leases running in the quarter and those
-- converted in it (fct_lease_quarters), the incidents reported in it and the guarantee-fund claims made in it,
-- measured as over the whole observation (landlord_measures). Tenants as fct_landlord_relations counts them (with
-- at least one lease), at their programme site; a quarter in which a claim or an incident came after the
-- tenant's leases ended counts too, without leases. Each measure is observed up to the end of the housing data,
-- of the leases and of its own file (landlord_observation_end): the incidents up to the incidents file's, the
-- claims up to the claims file's, each counted against the leases running in the quarter by then.
-- A refresh recomputes the tenants whose leases, tenancies, incidents, claims or site changed, and every tenant's
-- quarters from the latest held on, or the earliest file end's quarter if earlier (macros/person_changes.sql).
with observation as (
    {{ landlord_file_ends() }}
),

tenants as (
    select entries.person_key, entries.site
    from {{ ref('int_participants_entered') }} as entries
    where exists (select 1 from {{ ref('stg_landlords__leases') }} as leases where leases.person_key = entries.person_key)
),

-- the leases and their conversions up to the leases' end; those running by each file's end, in its last quarter
-- (a lease starting after it is not yet observed there, as after the leases' end)
leases as (
    select
        lease_quarters.person_key,
        lease_quarters.quarter,
        count(*) as leases,
        count(*) filter (where lease_quarters.is_converted_in_quarter) as leases_converted,
        count(*) filter (where lease_quarters.first_day_in_quarter <= observation.incidents_end) as leases_to_incidents_end,
        count(*) filter (where lease_quarters.first_day_in_quarter <= observation.claims_end) as leases_to_claims_end
    from {{ ref('fct_lease_quarters') }} as lease_quarters
    cross join observation
    where {{ is_recomputed('lease_quarters.person_key', 'lease_quarters.quarter') }}
    group by lease_quarters.person_key, lease_quarters.quarter
),

incidents as (
    select incidents.person_key, {{ quarter_label('incidents.reported_date') }} as quarter, {{ incident_measures() }}
    from {{ ref('stg_landlords__incidents') }} as incidents
    inner join observation on incidents.reported_date <= observation.incidents_end
    where {{ is_recomputed('incidents.person_key', quarter_label('incidents.reported_date')) }}
    group by incidents.person_key, quarter
),

claims as (
    select claims.person_key, {{ quarter_label('claims.claim_date') }} as quarter, {{ claim_measures() }}
    from {{ ref('stg_landlords__guarantee_claims') }} as claims
    inner join observation on claims.claim_date <= observation.claims_end
    where {{ is_recomputed('claims.person_key', quarter_label('claims.claim_date')) }}
    group by claims.person_key, quarter
)

select
    tenants.person_key,
    tenants.site,
    quarter,
    coalesce(leases.leases, 0)::integer as leases,
    coalesce(leases.leases_converted, 0)::integer as leases_converted,
    coalesce(leases.leases_to_incidents_end, 0)::integer as leases_to_incidents_end,
    coalesce(leases.leases_to_claims_end, 0)::integer as leases_to_claims_end,
    {{ relation_columns() }}
-- every quarter with leases, incidents or claims: full joins on the key, rather than the union of the three's
-- quarters joined back to each (a dedupe and three more joins of ~10 rows per tenant: 0.55x the time at 30k persons)
from leases
full join incidents using (person_key, quarter)
full join claims using (person_key, quarter)
inner join tenants using (person_key)
