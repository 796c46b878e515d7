select
    batch_id,
    reason_code,
    rows
from {{ source('audit', 'rejection_counts') }}
