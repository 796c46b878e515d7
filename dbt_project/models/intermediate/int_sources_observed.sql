-- What each partner source's latest extract covers: from its earliest event to the last day of its period.
-- A person's before/after windows count only where the source observes them: to the latest period a batch
-- observes (stg_audit__observing_batches: not a month whose every row was kept out as invalid, its events in
-- quarantine, not absent, which read as observed would say "nobody in work", "no hospital stay").
with latest as (
    select
        source,
        (to_date(max(period), 'YYYY-MM') + interval '1 month' - interval '1 day')::date as observed_to
    from {{ ref('stg_audit__observing_batches') }}
    group by source
),

earliest as (
    select 'health_encounters' as source, min(admission_date) as observed_from
    from {{ ref('stg_health__encounters') }}
    union all
    select 'justice_events' as source, min(start_date) as observed_from
    from {{ ref('stg_justice__events') }}
    union all
    select 'employment_contracts' as source, min(start_date) as observed_from
    from {{ ref('stg_employment__contracts') }}
    union all
    select 'shelter_nights' as source, min(night_date) as observed_from
    from {{ ref('stg_shelter__nights') }}
)

select
    latest.source,
    earliest.observed_from,
    latest.observed_to
from latest
left join earliest on latest.source = earliest.source
