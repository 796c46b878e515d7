-- What each partner source's latest extract covers: from its earliest event to the last day of its period.
-- A person's before/after windows count only where the source observes them.
-- A batch observes its period unless every row it read was kept out as invalid (rows_loaded = 0 with rows
-- quarantined for a reason other than opposition): that month's events are in quarantine, not absent, and taking
-- it as observed would read it as "nobody in work", "no hospital stay". A batch that read no row (a partner's empty
-- month) or only rows of people who opposed (kept out by their choice, as fct_extract_quality leaves them out)
-- observes it; so does a steward's retry that loads the fixed rows.
with opposed as (
    select batch_id, rows from {{ ref('stg_audit__rejection_counts') }} where reason_code = 'opposition'
),

batches as (
    select
        ledger.source,
        ledger.period,
        row_number() over (
            partition by ledger.source order by ledger.period desc nulls last, ledger.batch_id desc
        ) as batch_rank
    from {{ ref('stg_audit__batches') }} as ledger
    left join opposed on ledger.batch_id = opposed.batch_id
    where
        ledger.status = 'loaded'
        and (ledger.rows_loaded > 0 or ledger.rows_quarantined <= coalesce(opposed.rows, 0))
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
