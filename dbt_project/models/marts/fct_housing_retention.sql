-- Housing status of each person at each retention horizon after entry.
-- Retained: in a programme tenancy on the checkpoint day, or left earlier for other permanent housing
-- (HUD system performance measure 7b.2). People who died before the checkpoint leave the denominator.
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

tenancies as (
    select * from {{ ref('stg_housing__tenancies') }}
),

checkpoints as (
    select
        entries.person_key,
        entries.site,
        entries.entry_cohort,
        entries.entry_date,
        horizons.horizon_months,
        (entries.entry_date + make_interval(months => horizons.horizon_months))::date as checkpoint_date
    from entries
    cross join (values (12)) as horizons (horizon_months)
),

statuses as (
    select
        checkpoints.*,
        checkpoints.checkpoint_date <= observation.observation_end as is_observed,
        exists (
            select 1
            from tenancies
            where tenancies.person_key = checkpoints.person_key
                and tenancies.start_date <= checkpoints.checkpoint_date
                and (tenancies.end_date is null or tenancies.end_date > checkpoints.checkpoint_date)
        ) as is_housed,
        (
            select tenancies.exit_reason
            from tenancies
            where tenancies.person_key = checkpoints.person_key
                and tenancies.end_date <= checkpoints.checkpoint_date
                and tenancies.exit_reason <> 'demenagement'
            order by tenancies.end_date desc
            limit 1
        ) as last_exit_reason
    from checkpoints
    cross join observation
)

select
    person_key,
    site,
    entry_cohort,
    entry_date,
    horizon_months,
    checkpoint_date,
    is_observed,
    not is_housed and coalesce(last_exit_reason = 'deces', false) as died_before_checkpoint,
    is_housed or coalesce(last_exit_reason = 'logement_autonome', false) as is_retained
from statuses
