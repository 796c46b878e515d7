with source as (
    {{ latest_batch_rows('survey', 'tenant_survey') }}
)

select
    record_ref as response_ref,
    site,
    quarter,
    response_date,
    satisfaction_housing,
    satisfaction_support,
    quality_of_life,
    batch_id
from source
