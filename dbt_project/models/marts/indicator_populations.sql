-- Each person-based indicator and breakdown's persons, as a count and an order-free fingerprint of their keys:
-- indicator_values finds with them the indicators counting exactly a pay-for-performance clause's persons. Its own
-- model, read from the million contributions beside the cells rather than after them.
select
    indicator_code,
    breakdown,
    count(*) as persons,
    sum(hashtextextended(person_key, 0)::numeric) as fingerprint
from {{ ref('fct_indicator_contributions') }}
group by indicator_code, breakdown
