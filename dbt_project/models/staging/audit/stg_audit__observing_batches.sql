select
    batch_id,
    source,
    period
from {{ source('audit', 'observing_batches') }}
