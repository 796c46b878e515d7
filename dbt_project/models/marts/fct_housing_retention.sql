-- Housing status of each person at each retention horizon after entry.
-- Retained: in a programme tenancy on the checkpoint day, or left earlier for other permanent housing
-- (HUD system performance measure 7b.2). People who died on or before the checkpoint leave the denominator,
-- whatever tenancy is recorded after their death (int_participants_exited: the programme's death date).
with entries as (
    select * from {{ ref('int_participants_entered') }}
),

deaths as (
    select person_key, death_date from {{ ref('int_participants_exited') }}
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
        {{ add_months('entries.entry_date', 'horizons.horizon_months') }} as checkpoint_date
    from entries
    cross join (values (6), (12), (24)) as horizons (horizon_months)
),

housed as (
    select distinct checkpoints.person_key, checkpoints.horizon_months
    from checkpoints
    inner join tenancies
        on checkpoints.person_key = tenancies.person_key
        and tenancies.start_date <= checkpoints.checkpoint_date
        and (tenancies.end_date is null or tenancies.end_date > checkpoints.checkpoint_date)
),

last_exits as (
    select distinct on (checkpoints.person_key, checkpoints.horizon_months)
        checkpoints.person_key,
        checkpoints.horizon_months,
        tenancies.exit_reason
    from checkpoints
    inner join tenancies
        on checkpoints.person_key = tenancies.person_key
        and tenancies.end_date <= checkpoints.checkpoint_date
        and tenancies.exit_reason <> 'demenagement'
    order by checkpoints.person_key, checkpoints.horizon_months, tenancies.end_date desc, tenancies.tenancy_ref desc
),

statuses as (
    select
        checkpoints.*,
        checkpoints.checkpoint_date <= observation.observation_end as is_observed,
        housed.person_key is not null as is_housed,
        last_exits.exit_reason as last_exit_reason,
        coalesce(deaths.death_date <= checkpoints.checkpoint_date, false) as is_dead
    from checkpoints
    cross join observation
    left join deaths on checkpoints.person_key = deaths.person_key
    left join housed
        on checkpoints.person_key = housed.person_key and checkpoints.horizon_months = housed.horizon_months
    left join last_exits
        on checkpoints.person_key = last_exits.person_key and checkpoints.horizon_months = last_exits.horizon_months
)

select
    person_key,
    site,
    entry_cohort,
    entry_date,
    horizon_months,
    checkpoint_date,
    is_observed,
    is_dead as died_before_checkpoint,
    not is_dead and (is_housed or coalesce(last_exit_reason = 'logement_autonome', false)) as is_retained
from statuses
