with source as (
    {{ latest_batch_rows('shelter', 'shelter_nights') }}
)

select
    record_ref as night_ref,
    person_key,
    birth_year,
    night_date,
    shelter,
    place_type,
    batch_id
from source
