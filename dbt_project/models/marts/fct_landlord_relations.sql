-- What partner landlords report about each tenant's programme tenancies, one row per tenant with at least one
-- lease: leases and those converted from a sublet (bail glissant) to a direct lease, incidents, the days to a first
-- response of those answered (a resolution answers at the latest) and to the resolution of those resolved,
-- guarantee-fund claims and their amounts (all claims, and those paid). fct_landlord_relation_quarters counts the
-- same by reporting quarter. The incidents are counted up to the incidents file's end and the claims up to the
-- claims file's (landlord_file_ends), as by quarter: one dated after its file's end would otherwise count here
-- but in no quarter, and a tenant's totals would not be the sum of their quarters. Each is set against the leases
-- started by that end (leases_to_incidents_end, leases_to_claims_end), as by quarter: a lease starting after it
-- has none of its incidents or claims counted yet. The leases stop likewise at the end of the housing data and of
-- the leases file, as fct_lease_quarters runs them: the share converted is set against the leases started by then.
-- A conversion counts only while its lease runs, from its start to its tenancy's end (that day included) and the
-- leases' end: those fct_lease_quarters counts in a quarter, added up. One dated after the tenancy ended (a
-- landlord's late paperwork, a typo) is of a lease that no longer runs, and would otherwise count here but in no
-- quarter.
with observation as (
    {{ landlord_file_ends() }}
),

entries as (
    select * from {{ ref('int_participants_entered') }}
),

leases as (
    select
        leases.person_key,
        count(*) filter (where leases.start_date <= observation.leases_end) as leases,
        count(*) filter (where leases.start_date <= observation.incidents_end) as leases_to_incidents_end,
        count(*) filter (where leases.start_date <= observation.claims_end) as leases_to_claims_end
    from {{ ref('stg_landlords__leases') }} as leases
    -- a tenant with leases is one whether or not the ends are known yet (no row before the housing data are observed)
    left join observation on true
    group by leases.person_key
),

-- the conversions by quarter added up: one dated after its lease's tenancy ended is in no quarter, nor here
conversions as (
    select lease_quarters.person_key, count(*) as leases_converted
    from {{ ref('fct_lease_quarters') }} as lease_quarters
    where lease_quarters.is_converted_in_quarter
    group by lease_quarters.person_key
),

incidents as (
    select incidents.person_key, {{ incident_measures() }}
    from {{ ref('stg_landlords__incidents') }} as incidents
    inner join observation on incidents.reported_date <= observation.incidents_end
    group by incidents.person_key
),

claims as (
    select claims.person_key, {{ claim_measures() }}
    from {{ ref('stg_landlords__guarantee_claims') }} as claims
    inner join observation on claims.claim_date <= observation.claims_end
    group by claims.person_key
)

select
    entries.person_key,
    entries.site,
    entries.entry_cohort,
    leases.leases::integer as leases,
    coalesce(conversions.leases_converted, 0)::integer as leases_converted,
    leases.leases_to_incidents_end::integer as leases_to_incidents_end,
    leases.leases_to_claims_end::integer as leases_to_claims_end,
    {{ relation_columns() }}
from entries
inner join leases on entries.person_key = leases.person_key
left join conversions on entries.person_key = conversions.person_key
left join incidents on entries.person_key = incidents.person_key
left join claims on entries.person_key = claims.person_key
