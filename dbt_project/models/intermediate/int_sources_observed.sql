-- What each partner source's extracts cover: from its earliest event to the last day of the last month it observes.
-- A person's before/after windows count only where the source observes them: to the periods batches observe
-- (stg_audit__observing_batches: not a month whose every row was kept out as invalid, its events in
-- quarantine, not absent, which read as observed would say "nobody in work", "no hospital stay"). A snapshot
-- source's latest such month holds its whole history; an append source's month holds only its own events (its
-- first, every one before it), so it observes up to the end of its run of months from its first one: a month never
-- sent or quarantined whole stops it there, the months after it waiting until that month is sent or retried. Its
-- first month is the first a loaded batch came for, observing or not: quarantined whole, it holds the history
-- before every later month, and the source observes nothing until its retry. A rejected file does not start the run:
-- nothing of it was read, its period is only its name's (a misnamed or stray file would hide the source for good).
with months as (
    select
        batches.source,
        to_date(batches.period, 'YYYY-MM') as month_start,
        bool_or(batches.load_mode = 'append') as is_append,
        bool_or(observing.batch_id is not null) as is_observed
    from {{ ref('stg_audit__batches') }} as batches
    left join {{ ref('stg_audit__observing_batches') }} as observing on batches.batch_id = observing.batch_id
    where batches.status = 'loaded'
    group by batches.source, batches.period
),

runs as (
    select
        source,
        month_start,
        is_append,
        is_observed,
        lead(month_start) over (partition by source order by month_start) as next_month_start
    from months
),

ends as (
    select
        source,
        min(month_start) as first_month_start,
        -- the first day not observed: an append source's first month not observed from its first one (or the month
        -- after the first observed one not followed by the next), a snapshot source's after its latest observed
        coalesce(
            min(case when is_observed then month_start + interval '1 month' else month_start end) filter (
                where is_append
                and (not is_observed or next_month_start is distinct from month_start + interval '1 month')
            ),
            max(month_start) filter (where is_observed) + interval '1 month'
        ) as observed_until
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
    ends.source,
    earliest.observed_from,
    (ends.observed_until - interval '1 day')::date as observed_to
from ends
left join earliest on ends.source = earliest.source
-- none observed (an append source's first month quarantined whole): not observed at all, as before any extract
where ends.observed_until > ends.first_month_start
