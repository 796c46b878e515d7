-- Work or training status of each person at 12 and 24 months after entry: a contract of any kind (including
-- training and insertion contracts) running on the checkpoint day, its end day included. Observed when the
-- checkpoint falls within both the employment and the housing data: not before the employment source's earliest
-- contract (its history starts there: a checkpoint before it would read "not in work" for want of records) nor
-- after either's end, when it is awaited; people who died before it leave the denominator. Before a first
-- employment extract is loaded no checkpoint is observed: no row at all, rather than everyone out of work.
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

exits as (
    select * from {{ ref('int_participants_exited') }}
),

observation as (
    {{ observation_end_of(['employment_contracts']) }}
),

employment as (
    select observed_from from {{ ref('int_sources_observed') }}
    where source = 'employment_contracts'
),

contracts as (
    select * from {{ ref('stg_employment__contracts') }}
),

checkpoints as (
    select
        entries.person_key,
        entries.site,
        entries.entry_cohort,
        entries.entry_date,
        exits.death_date,
        horizons.horizon_months,
        {{ add_months('entries.entry_date', 'horizons.horizon_months') }} as checkpoint_date
    from entries
    inner join exits on entries.person_key = exits.person_key
    cross join (values (12), (24)) as horizons (horizon_months)
),

working as (
    select distinct checkpoints.person_key, checkpoints.horizon_months
    from checkpoints
    inner join contracts
        on checkpoints.person_key = contracts.person_key
        and contracts.start_date <= checkpoints.checkpoint_date
        and (contracts.end_date is null or contracts.end_date >= checkpoints.checkpoint_date)
)

select
    checkpoints.person_key,
    checkpoints.site,
    checkpoints.entry_cohort,
    checkpoints.entry_date,
    checkpoints.horizon_months,
    checkpoints.checkpoint_date,
    coalesce(
        checkpoints.checkpoint_date between employment.observed_from and observation.observation_end, false
    ) as is_observed,
    checkpoints.checkpoint_date > observation.observation_end as is_awaited,
    coalesce(checkpoints.death_date <= checkpoints.checkpoint_date, false) as died_before_checkpoint,
    working.person_key is not null as is_in_work_or_training
from checkpoints
cross join observation
cross join employment
left join working
    on checkpoints.person_key = working.person_key and checkpoints.horizon_months = working.horizon_months
