with source as (
    {{ latest_batch_rows('landlords', 'landlord_incidents') }}
)

select
    record_ref as incident_ref,
    person_key,
    landlord_id,
    incident_kind,
    reported_date,
    responded_date,
    resolved_date,
    batch_id
from source
