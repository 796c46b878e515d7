with source as (
    {{ latest_batch_rows('landlords', 'landlord_leases') }}
)

select
    record_ref as lease_ref,
    person_key,
    landlord_id,
    landlord_type,
    site,
    start_date,
    conversion_date,
    batch_id
from source
