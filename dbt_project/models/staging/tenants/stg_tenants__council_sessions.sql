with source as (
    {{ latest_batch_rows('tenants', 'tenant_council') }}
)

select
    record_ref as session_ref,
    site,
    session_date,
    attendees,
    actions_decided,
    batch_id
from source
