-- Each window of each person a service source observes whole (int_service_windows_observed), with the source: the
-- windows fct_service_use counts, and what its refresh compares with its own rows to find the persons whose
-- windows or observation changed.
select
    windows.person_key,
    windows.site,
    windows.entry_cohort,
    observed.source,
    windows.window_name,
    windows.window_start,
    windows.window_end
from {{ ref('int_participants_windowed') }} as windows
inner join {{ ref('int_service_windows_observed') }} as observed
    on windows.person_key = observed.person_key
    and observed.is_observed
