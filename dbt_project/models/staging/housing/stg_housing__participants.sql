with source as (
    {{ latest_batch_rows('housing', 'housing_participants') }}
)

select
    record_ref as participant_ref,
    person_key,
    birth_year,
    site,
    referral_date,
    entry_date,
    notes as case_note_redacted,
    batch_id
from source
