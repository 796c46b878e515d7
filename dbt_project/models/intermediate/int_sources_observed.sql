-- What each partner source's latest extract covers: from its earliest event to the last day of its period.
-- A person's before/after windows count only where the source observes them.
with batches as (
    select
        source,
        period,
        row_number() over (partition by source order by period desc nulls last, batch_id desc) as batch_rank
    from {{ ref('stg_audit__batches') }}
    where status = 'loaded'
),

latest as (
    select
        source,
        (to_date(period, 'YYYY-MM') + interval '1 month' - interval '1 day')::date as observed_to
    from batches
    where batch_rank = 1
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
