-- One row per person: how the programme stay ended, if it did. The exit is the first tenancy end that is not
-- a move to another programme tenancy, nor an end while another programme tenancy of the person still runs that
-- day (a second site, an overlap: the person is still housed), a death excepted. The death date is the earliest
-- a partner reports: a tenancy the housing operator ends with a death, or a hospital stay the hospital discharges
-- as a death (mode de sortie: deces), often days before the operator records it, or when it never does. Every
-- model reads a person's death from here; the programme exit stays the operator's.
-- A stay discharged as a death without its discharge day dates the death by its admission (staging dates every
-- stay without one so): extracts hold stays once discharged, so the day is missing, not to come, and the death
-- came on or after the admission. The first day it can have come, as a death is the first reported; leaving it
-- undated would keep someone the hospital says died housed, at risk and using services to the observation end.
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

reported_deaths as (
    select person_key, end_date as death_date
    from tenancies
    where exit_reason = 'deces'
    union all
    select person_key, discharge_date as death_date
    from {{ ref('stg_health__encounters') }}
    where discharge_mode = 'deces'
),

deaths as (
    select person_key, min(death_date) as death_date
    from reported_deaths
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
