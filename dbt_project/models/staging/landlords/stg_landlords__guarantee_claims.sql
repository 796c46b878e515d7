with source as (
    {{ latest_batch_rows('landlords', 'landlord_guarantee_claims') }}
)

select
    record_ref as claim_ref,
    person_key,
    landlord_id,
    claim_reason,
    claim_date,
    amount,
    status,
    decision_date,
    batch_id
from source
