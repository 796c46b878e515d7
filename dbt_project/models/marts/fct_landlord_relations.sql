-- What partner landlords report about each tenant's programme tenancies, one row per tenant with at least one
-- lease: leases and those converted from a sublet (bail glissant) to a direct lease, incidents, the days to a first
-- response of those answered (a resolution answers at the latest) and to the resolution of those resolved,
-- guarantee-fund claims and their amounts (all claims, and those paid). fct_landlord_relation_quarters counts the
-- same by reporting quarter. The incidents are counted up to the incidents file's end and the claims up to the
-- claims file's (landlord_file_ends), as by quarter: one dated after its file's end would otherwise count here
-- but in no quarter, and a tenant's totals would not be the sum of their quarters.
with observation as (
    {{ landlord_file_ends() }}
),

entries as (
    select * from {{ ref('int_participants_entered') }}
),

leases as (
    select
        person_key,
        count(*) as leases,
        count(conversion_date) as leases_converted
    from {{ ref('stg_landlords__leases') }}
    group by person_key
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
    leases.leases_converted::integer as leases_converted,
    {{ relation_columns() }}
from entries
inner join leases on entries.person_key = leases.person_key
left join incidents on entries.person_key = incidents.person_key
left join claims on entries.person_key = claims.person_key
