with source as (
    {{ latest_batch_rows('finance', 'finance_conventions') }}
)

select
    record_ref as convention_line_ref,
    funder_code,
    convention_number,
    site,
    sector,
    year,
    signed_date,
    committed_amount,
    paid_amount,
    batch_id
from source
