-- One row per move from a programme tenancy to other permanent housing (exit reason logement_autonome), every
-- one of a person's, not only their first programme exit: someone who first left for prison, was housed again
-- and then moved on counts. Each move has the first return to homelessness after it, if any: the first sign of
-- homelessness after the exit day, a night in an emergency shelter (115 / SIAO) or a new programme tenancy (the
-- programme houses homeless people only). A tenancy ended for permanent housing while the person still holds
-- another programme tenancy that day is no move on.
with tenancies as (
    select * from {{ ref('stg_housing__tenancies') }}
),

moves as (
    select
        tenancies.person_key,
        tenancies.tenancy_ref,
        tenancies.end_date as exit_date,
        row_number() over (
            partition by tenancies.person_key order by tenancies.end_date, tenancies.tenancy_ref
        ) as move_rank
    from tenancies
    inner join {{ ref('int_participants_entered') }} as entries on tenancies.person_key = entries.person_key
    where
        tenancies.exit_reason = 'logement_autonome'
        and tenancies.end_date is not null
        -- still holding another programme tenancy that day (a second site, an overlap) is no move on
        and not {{ another_tenancy_runs_on_its_end('tenancies', 'tenancies') }}
),

signals as (
    select moves.tenancy_ref, later.start_date as signal_date
    from moves
    inner join tenancies as later
        on moves.person_key = later.person_key and later.start_date > moves.exit_date
    union all
    select moves.tenancy_ref, nights.night_date as signal_date
    from moves
    inner join {{ ref('stg_shelter__nights') }} as nights
        on moves.person_key = nights.person_key and nights.night_date > moves.exit_date
),

returns as (
    select tenancy_ref, min(signal_date) as return_date
    from signals
    group by tenancy_ref
)

select
    moves.person_key,
    moves.tenancy_ref,
    moves.move_rank,
    moves.exit_date,
    returns.return_date
from moves
left join returns on moves.tenancy_ref = returns.tenancy_ref
