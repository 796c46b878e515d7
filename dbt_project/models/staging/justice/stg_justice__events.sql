{#- A snapshot: rebuilt whole each build, logging the persons whose events changed for fct_service_use. #}
{{ config(
    meta={'raw_source': ['justice', 'justice_events'], 'logs_person_changes': ['start_date', 'end_date']},
    pre_hook="{{ remember_rows(['event_ref', 'event_type', 'start_date', 'end_date']) }}",
    post_hook="{{ log_changed_rows(['event_ref', 'event_type', 'start_date', 'end_date']) }}",
) }}

with source as (
    {{ latest_batch_rows('justice', 'justice_events') }}
)

select
    record_ref as event_ref,
    person_key,
    birth_year,
    event_type,
    start_date,
    end_date,
    batch_id
from source
