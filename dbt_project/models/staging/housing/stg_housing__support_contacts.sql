with source as (
    {{ latest_batch_rows('housing', 'housing_support_contacts') }}
)

select
    record_ref as contact_ref,
    person_key,
    contact_date,
    duration_minutes,
    contact_kind,
    batch_id
from source
