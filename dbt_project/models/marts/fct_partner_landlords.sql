-- One row per partner landlord (an organisation, not a person) and site where it holds or held a programme lease,
-- from the landlords' lease file: its kind, and its leases at that site. A landlord operating in several cities
-- (a national social landlord, an association) is a partner of each site it leases at.
select
    landlord_id,
    site,
    max(max(landlord_type)) over (partition by landlord_id) as landlord_type,
    count(*)::integer as leases,
    min(start_date) as first_lease_date
from {{ ref('stg_landlords__leases') }}
group by landlord_id, site
