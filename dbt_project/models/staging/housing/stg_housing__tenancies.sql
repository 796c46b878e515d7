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
