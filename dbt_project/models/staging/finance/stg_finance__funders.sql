with source as (
    {{ latest_batch_rows('finance', 'finance_funders') }}
)

select
    record_ref as funder_ref,
    funder_code,
    funder_name,
    funder_kind,
    batch_id
from source
