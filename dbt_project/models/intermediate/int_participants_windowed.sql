-- The two 12-month windows around each person's entry: [entry - 12 months, entry) and [entry, entry + 12 months),
-- end dates exclusive.
with entries as (
    select * from {{ ref('int_participants_entered') }}
)

select
    entries.person_key,
    entries.site,
    entries.entry_cohort,
    entries.entry_date,
    windows.window_name,
    {{ add_months('entries.entry_date', 'windows.start_months') }} as window_start,
    {{ add_months('entries.entry_date', 'windows.end_months') }} as window_end
from entries
cross join (values ('before', -12, 0), ('after', 0, 12)) as windows (window_name, start_months, end_months)
