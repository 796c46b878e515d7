{#- A snapshot: rebuilt whole each build, logging the persons whose rows changed (macros/person_changes.sql). #}
{{ config(
    meta={'raw_source': ['housing', 'housing_tenancies'], 'logs_person_changes': ['start_date', 'end_date']},
    pre_hook="{{ remember_rows(['tenancy_ref', 'site', 'start_date', 'end_date']) }}",
    post_hook="{{ log_changed_rows(['tenancy_ref', 'site', 'start_date', 'end_date']) }}",
) }}

with source as (
    {{ latest_batch_rows('housing', 'housing_tenancies') }}
)

select
    record_ref as tenancy_ref,
    person_key,
    site,
    start_date,
    end_date,
    exit_reason,
    monthly_rent::numeric(10, 2) as monthly_rent,
    batch_id
from source
