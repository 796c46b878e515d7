-- What each partner source's extracts cover: from its earliest event to the last day of the last month it observes.
-- A person's before/after windows count only where the source observes them: to the periods batches observe
-- (stg_audit__observing_batches: not a month whose every row was kept out as invalid, its events in
-- quarantine, not absent, which read as observed would say "nobody in work", "no hospital stay"). A snapshot
-- source's latest such month holds its whole history; an append source's month holds only its own events (its
-- first, every one before it), so it observes up to the end of its run of months from its first one: a month never
-- sent or quarantined whole stops it there, the months after it waiting until that month is sent or retried.
with months as (
    select distinct
        observing.source,
        to_date(observing.period, 'YYYY-MM') as month_start,
        batches.load_mode = 'append' as is_append
    from {{ ref('stg_audit__observing_batches') }} as observing
    inner join {{ ref('stg_audit__batches') }} as batches on observing.batch_id = batches.batch_id
),

runs as (
    select
        source,
        month_start,
        is_append,
        lead(month_start) over (partition by source order by month_start) as next_month_start
    from months
),

latest as (
    select
        source,
        -- an append source's first month not followed by the month after it ends its run (its latest does)
        (coalesce(
            min(month_start) filter (
                where is_append and next_month_start is distinct from month_start + interval '1 month'
            ),
            max(month_start)
        ) + interval '1 month' - interval '1 day')::date as observed_to
    from runs
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
