-- One row per partner landlord (an organisation, not a person): its kind, site and how many programme leases it
-- holds or held, from the landlords' lease file.
select
    landlord_id,
    max(landlord_type) as landlord_type,
    max(site) as site,
    count(*)::integer as leases,
    min(start_date) as first_lease_date
from {{ ref('stg_landlords__leases') }}
group by landlord_id
