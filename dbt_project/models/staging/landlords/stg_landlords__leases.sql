{#- A snapshot: rebuilt whole each build, logging the persons whose rows changed (macros/person_changes.sql). #}
{{ config(
    meta={'raw_source': ['landlords', 'landlord_leases'], 'logs_person_changes': ['start_date', 'null']},
    pre_hook="{{ remember_rows(['lease_ref', 'landlord_id', 'site', 'start_date', 'conversion_date']) }}",
    post_hook="{{ log_changed_rows(['lease_ref', 'landlord_id', 'site', 'start_date', 'conversion_date']) }}",
) }}

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
