-- One row per person who moved on from a programme tenancy to other permanent housing (logement_autonome), with
-- their first such move, whatever exit came before it (someone who first left for prison, was housed again and
-- then moved on counts), and the first return to homelessness after it, if any (int_participants_moved_on: a
-- night in an emergency shelter or a new programme tenancy after the exit day). A move is observed up to the end
-- of both the housing and the shelter data: a month the shelter has not sent yet holds no return, so no window
-- ending in it counts. Before a first shelter extract is loaded, a return to the street is seen nowhere: no move
-- is followed (no row), rather than every one counted as no return. A move dated after that end (a tenancies file
-- ahead of the participants or shelter file) is not observed yet: no row, as fct_housing_tenure censors such an
-- exit, rather than one observed a negative number of days. A move is followed only from an exit day the shelter
-- data observe (on or after their earliest night, as int_service_windows_observed starts a window): a return
-- window counts from that day (day 0), and one starting before the shelter's history (a partner whose first
-- extract starts after the programme did) would read its unseen part as no return. Such a move is never
-- observed: no row, as before a first shelter extract.
with moves as (
    select * from {{ ref('int_participants_moved_on') }}
    where move_rank = 1
),

entries as (
    select * from {{ ref('int_participants_entered') }}
),

observation as (
    {{ observation_end_of(['shelter_nights']) }}
),

shelter as (
    select observed_from from {{ ref('int_sources_observed') }}
    where source = 'shelter_nights'
)

select
    moves.person_key,
    entries.site,
    entries.entry_cohort,
    moves.exit_date,
    moves.return_date,
    moves.return_date - moves.exit_date as days_to_return,
    observation.observation_end - moves.exit_date as days_observed_after_exit
from moves
inner join entries on moves.person_key = entries.person_key
inner join observation on moves.exit_date <= observation.observation_end
inner join shelter on moves.exit_date >= shelter.observed_from
