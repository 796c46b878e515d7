with source as (
    {{ latest_batch_rows('health', 'health_encounters') }}
)

select
    record_ref as encounter_ref,
    person_key,
    birth_year,
    sex,
    encounter_type,
    service,
    admission_date,
    coalesce(discharge_date, admission_date) as discharge_date,
    batch_id
from source
