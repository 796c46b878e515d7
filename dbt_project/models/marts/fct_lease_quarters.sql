{{ config(
    materialized='incremental',
    incremental_strategy='append',
    meta={'person_change_sources': ['landlord_leases', 'housing_tenancies']},
    pre_hook="{{ delete_changed_persons(since=['quarter', landlord_observation_quarter()]) }}",
    post_hook="{{ mark_person_changes_read() }}",
) }}

-- One row per lease in the landlords' file and calendar quarter in which it runs, up to the end of observation,
-- its first day in that quarter, and whether it was converted from a sublet to a direct lease in that quarter:
-- the leases of the landlord indicators by reporting quarter (fct_landlord_relation_quarters, partner landlords in
-- aggregate_indicator_cells). The landlords' file dates a lease's start, not its end. A lease is the housing
-- operator's tenancy (the file names it) and ends with it: with the tenancy of the same tenant starting on the
-- lease's first day. A lease runs on its last day too, as the landlords date incidents and conversions up to it;
-- one whose tenancy the housing file does not hold (yet), or that has not ended, runs to the end of observation:
-- of the housing data and of the leases file, whichever ends first (landlord_observation_end). The incidents and
-- claims files end only the measures reading them, which count the leases by their first day in the quarter.
-- A refresh recomputes the leases of the tenants whose leases or tenancies changed, and every lease's quarters from
-- the latest held on, which the new end of observation extends (macros/person_changes.sql).
with observation as (
    {{ landlord_observation_end() }}
),

leases as (
    select * from {{ ref('stg_landlords__leases') }}
),

-- a tenant's two tenancies starting the same day (a second site): the one at the lease's site, else the longer
tenancy_ends as (
    select distinct on (leases.lease_ref)
        leases.lease_ref,
        tenancies.end_date
    from leases
    inner join {{ ref('stg_housing__tenancies') }} as tenancies
        on leases.person_key = tenancies.person_key and leases.start_date = tenancies.start_date
    order by leases.lease_ref, tenancies.site = leases.site desc, tenancies.end_date desc nulls first
),

runs as (
    select
        leases.lease_ref,
        leases.person_key,
        leases.landlord_id,
        leases.site,
        leases.start_date,
        leases.conversion_date,
        -- least() passes over a null end: a running lease runs to the end of observation
        least(tenancy_ends.end_date, observation.observation_end) as last_day
    from leases
    left join tenancy_ends on leases.lease_ref = tenancy_ends.lease_ref
    cross join observation
),

quarters as (
    select
        runs.*,
        starts.quarter_start::date as quarter_start,
        {{ quarter_label('starts.quarter_start') }} as quarter
    from runs
    -- on a refresh, an unchanged tenant's from the first quarter recomputed: their earlier quarters are kept
    cross join lateral generate_series(
        {{ recomputed_from('runs.person_key', "date_trunc('quarter', runs.start_date)") }}, runs.last_day, interval '3 months'
    ) as starts (quarter_start)
    -- a lease starting after the end of observation, in its last quarter, is not yet observed
    where runs.start_date <= runs.last_day
)

select
    lease_ref,
    person_key,
    landlord_id,
    site,
    quarter,
    greatest(start_date, quarter_start) as first_day_in_quarter,
    coalesce(
        {{ quarter_label('conversion_date') }} = quarter and conversion_date <= last_day, false
    ) as is_converted_in_quarter
from quarters
