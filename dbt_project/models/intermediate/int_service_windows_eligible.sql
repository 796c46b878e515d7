{{ config(
    meta={'person_change_source': 'service_windows', 'logs_person_changes': ['window_start', 'window_end']},
    pre_hook="{{ remember_rows(['site', 'entry_cohort', 'source', 'window_name', 'window_start', 'window_end']) }}",
    post_hook="{{ log_changed_rows(['site', 'entry_cohort', 'source', 'window_name', 'window_start', 'window_end']) }}",
) }}

-- Each window of each person a service source observes whole (int_service_windows_observed), with the source: the
-- windows fct_service_use counts. Each build logs the persons whose windows came, went or changed
-- (macros/person_changes.sql), for its refresh to recompute.
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
