-- Weekly hours and monthly gross pay of work or training under contract, for each person the day before entry
-- ('before') and 12 months after entry ('after'), both for people observed at the 12-month checkpoint (within
-- the employment and housing data, alive) and on the day before entry (on or after the employment source's
-- earliest contract: before it, no contract could be known and 0 hours would stand for unknown): the contracts
-- running that day, their end day included, summed.
-- Some partners leave a contract's pay blank: a person with such a contract running on either day has no pay
-- on both, so the income's before and after cover the same persons and a missing pay never counts as 0.
with employment as (
    select observed_from from {{ ref('int_sources_observed') }}
    where source = 'employment_contracts'
),

population as (
    select status.person_key, status.site, status.entry_cohort, status.entry_date, status.checkpoint_date
    from {{ ref('fct_employment_status') }} as status
    inner join employment on status.entry_date - 1 >= employment.observed_from
    where status.horizon_months = 12 and status.is_observed and not status.died_before_checkpoint
),

sides as (
    select person_key, site, entry_cohort, 'before' as window_name, entry_date - 1 as measured_on
    from population
    union all
    select person_key, site, entry_cohort, 'after' as window_name, checkpoint_date as measured_on
    from population
),

contracts as (
    select * from {{ ref('stg_employment__contracts') }}
)

select
    sides.person_key,
    sides.site,
    sides.entry_cohort,
    sides.window_name,
    sides.measured_on,
    count(contracts.person_key)::integer as contracts_running,
    coalesce(sum(contracts.hours_per_week), 0)::numeric(8, 2) as weekly_hours,
    case
        when bool_and(count(contracts.person_key) = count(contracts.monthly_gross_pay))
            over (partition by sides.person_key)
            then coalesce(sum(contracts.monthly_gross_pay), 0)
    end::numeric(10, 2) as monthly_gross_pay
from sides
left join contracts
    on sides.person_key = contracts.person_key
    and contracts.start_date <= sides.measured_on
    and (contracts.end_date is null or contracts.end_date >= sides.measured_on)
group by sides.person_key, sides.site, sides.entry_cohort, sides.window_name, sides.measured_on
