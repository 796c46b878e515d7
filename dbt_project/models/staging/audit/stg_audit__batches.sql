select
    batch_id,
    source,
    period,
    rows_read,
    rows_loaded,
    rows_quarantined,
    status,
    load_mode,
    retry_of,
    loaded_at
from {{ source('audit', 'batches') }}
