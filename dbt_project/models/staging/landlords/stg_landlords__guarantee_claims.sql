{#- A snapshot: rebuilt whole each build, logging the persons whose rows changed (macros/person_changes.sql). #}
{{ config(
    meta={'raw_source': ['landlords', 'landlord_guarantee_claims'], 'logs_person_changes': ['claim_date', 'decision_date']},
    pre_hook="{{ remember_rows(['claim_ref', 'landlord_id', 'claim_reason', 'claim_date', 'amount', 'status', 'decision_date']) }}",
    post_hook="{{ log_changed_rows(['claim_ref', 'landlord_id', 'claim_reason', 'claim_date', 'amount', 'status', 'decision_date']) }}",
) }}

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
