-- The housing data are observed up to the last day of the earlier of the operator's two extracts, participants
-- and tenancies (int_sources_observed, so a batch whose every row was quarantined observes nothing): a
-- participants file a month behind its tenancies lacks that month's entrants, who would then be neither measured
-- nor awaited, and a pay-for-performance clause read as final without them. Before both are loaded nothing is
-- observed: no row (rather than a null day), so no cell has a period yet.
select min(observed_to) as observation_end
from {{ ref('int_sources_observed') }}
where source in ('housing_participants', 'housing_tenancies')
having count(*) = 2
