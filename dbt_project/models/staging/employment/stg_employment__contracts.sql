with source as (
    {{ latest_batch_rows('employment', 'employment_contracts') }}
)

select
    record_ref as contract_ref,
    person_key,
    birth_year,
    contract_type,
    start_date,
    end_date,
    hours_per_week,
    monthly_gross_pay,
    batch_id
from source
