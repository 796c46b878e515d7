-- Peer support of each participant in each quarter in which they held a programme tenancy: the minutes of their
-- contacts with a peer worker (pair-aidance) dated in the quarter, against the quarter's days in a tenancy
-- (fct_housing_quarters), for peer-support hours per person-year by reporting quarter.
with quarters as (
    select * from {{ ref('fct_housing_quarters') }}
    where days_in_tenancy > 0
),

contacts as (
    select person_key, {{ quarter_label('contact_date') }} as quarter, duration_minutes
    from {{ ref('stg_housing__support_contacts') }}
    where contact_kind = 'pair_aidance'
)

select
    quarters.person_key,
    quarters.site,
    quarters.quarter,
    quarters.days_in_tenancy,
    coalesce(sum(contacts.duration_minutes), 0)::integer as peer_minutes
from quarters
left join contacts on quarters.person_key = contacts.person_key and quarters.quarter = contacts.quarter
group by quarters.person_key, quarters.site, quarters.quarter, quarters.days_in_tenancy
