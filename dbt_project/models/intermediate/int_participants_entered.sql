-- One row per person: the first programme entry (a person may appear twice at the operator).
with participants as (
    select * from {{ ref('stg_housing__participants') }}
),

ranked as (
    select
        *,
        row_number() over (partition by person_key order by entry_date, participant_ref) as entry_rank
    from participants
)

select
    person_key,
    site,
    referral_date,
    entry_date,
    {{ quarter_label('entry_date') }} as entry_cohort
from ranked
where entry_rank = 1
