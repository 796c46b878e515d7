{#- A snapshot: rebuilt whole each build, logging the persons whose rows changed (macros/person_changes.sql). #}
{{ config(
    meta={'raw_source': ['landlords', 'landlord_incidents'], 'logs_person_changes': ['reported_date', 'resolved_date']},
    pre_hook="{{ remember_rows(['incident_ref', 'landlord_id', 'incident_kind', 'reported_date', 'responded_date', 'resolved_date']) }}",
    post_hook="{{ log_changed_rows(['incident_ref', 'landlord_id', 'incident_kind', 'reported_date', 'responded_date', 'resolved_date']) }}",
) }}

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
