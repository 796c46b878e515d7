-- Disclosure control: no published (unsuppressed) cell counts fewer than the threshold.
select *
from {{ ref('indicator_values') }}
where not suppressed and persons < {{ var('min_cell_persons') }}
