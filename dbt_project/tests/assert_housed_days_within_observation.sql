-- Days stably housed can never exceed the days observed since entry.
select person_key, days_stably_housed, days_observed
from {{ ref('fct_housing_tenure') }}
where days_stably_housed > days_observed or days_stably_housed < 0
