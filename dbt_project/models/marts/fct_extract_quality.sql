-- One row per partner source and month of extract: how late its data arrived and how much of it was rejected.
-- Arrival is the first load of a usable file for that month (a later corrected re-send does not make the month
-- fresher); the rows read and quarantined are those of the month's current file, the latest loaded (a steward's
-- retry of its fixed quarantined rows is no file of the partner's: it leaves the file's counts as read). Rows of
-- people on the opposition list are left out of both: they are a person's choice, not a data-quality matter.
with batches as (
    select
        *,
        (to_date(period, 'YYYY-MM') + interval '1 month' - interval '1 day')::date as period_end
    from {{ ref('stg_audit__batches') }}
    where status in ('loaded', 'replaced') and period is not null
),

current_files as (
    select
        *,
        row_number() over (partition by source, period order by batch_id desc) as file_rank
    from batches
    where status = 'loaded' and retry_of is null
),

opposed as (
    select batch_id, rows from {{ ref('stg_audit__rejection_counts') }} where reason_code = 'opposition'
),

arrivals as (
    select source, period, min(loaded_at) as first_loaded_at
    from batches
    group by source, period
)

select
    current_files.source,
    current_files.period_end,
    arrivals.first_loaded_at::date - current_files.period_end as days_to_arrival,
    current_files.rows_read - coalesce(opposed.rows, 0) as rows_read,
    current_files.rows_quarantined - coalesce(opposed.rows, 0) as rows_quarantined
from current_files
inner join arrivals on current_files.source = arrivals.source and current_files.period = arrivals.period
left join opposed on current_files.batch_id = opposed.batch_id
where current_files.file_rank = 1
