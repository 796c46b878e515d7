select
    batch_id,
    source,
    period,
    rows_read,
    rows_loaded,
    rows_quarantined,
    status,
    retry_of,
    loaded_at
from {{ source('audit', 'batches') }}
