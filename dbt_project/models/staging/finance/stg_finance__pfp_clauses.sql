with source as (
    {{ latest_batch_rows('finance', 'finance_pfp_clauses') }}
)

select
    record_ref as clause_ref,
    clause_id,
    funder_code,
    convention_number,
    site,
    indicator_code,
    year,
    target,
    payment,
    batch_id
from source
