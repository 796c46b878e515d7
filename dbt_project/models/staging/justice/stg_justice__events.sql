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
