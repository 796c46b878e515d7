-- One row per person who moved on from a programme tenancy to other permanent housing (logement_autonome), with
-- their first such move, whatever exit came before it (someone who first left for prison, was housed again and
-- then moved on counts), and the first return to homelessness after it, if any (int_participants_moved_on: a
-- night in an emergency shelter or a new programme tenancy after the exit day). Before a first shelter extract is
-- loaded, a return to the street is seen nowhere: no move is followed (no row), rather than every one counted as
-- no return. After it, days are observed up to the end of both the housing and the shelter data: past the latest
-- shelter extract a night in a shelter is not seen yet, and a window closing there is not known to hold no return.
with moves as (
    select * from {{ ref('int_participants_moved_on') }}
    where move_rank = 1
),

entries as (
    select * from {{ ref('int_participants_entered') }}
),

observation as (
    select least(housing.observation_end, shelter.observed_to) as observation_end
    from {{ ref('int_observation_windows') }} as housing
    inner join {{ ref('int_sources_observed') }} as shelter on shelter.source = 'shelter_nights'
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
cross join observation
