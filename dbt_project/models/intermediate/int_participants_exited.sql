-- One row per person: how the programme stay ended, if it did. The exit is the first tenancy end that is not
-- a move to another programme tenancy, nor an end while another programme tenancy of the person still runs that
-- day (a second site, an overlap: the person is still housed), a death excepted; the death date is known only
-- when the programme recorded it.
with entries as (
    select person_key from {{ ref('int_participants_entered') }}
),

tenancies as (
    select * from {{ ref('stg_housing__tenancies') }}
),

exits as (
    select
        person_key,
        end_date,
        exit_reason,
        row_number() over (partition by person_key order by end_date, tenancy_ref) as exit_rank
    from tenancies
    where
        end_date is not null
        and exit_reason is distinct from 'demenagement'
        -- a death excepted: it ends the stay even while another tenancy runs
        and not {{ another_tenancy_runs_on_its_end('tenancies', 'tenancies', unless_ended_by='deces') }}
),

deaths as (
    select person_key, min(end_date) as death_date
    from tenancies
    where exit_reason = 'deces'
    group by person_key
)

select
    entries.person_key,
    exits.end_date as programme_exit_date,
    exits.exit_reason as programme_exit_reason,
    deaths.death_date
from entries
left join exits on entries.person_key = exits.person_key and exits.exit_rank = 1
left join deaths on entries.person_key = deaths.person_key
