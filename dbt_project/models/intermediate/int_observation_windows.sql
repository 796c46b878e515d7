-- The housing data are observed up to the last day of the latest tenancy snapshot's period; before a first
-- tenancy extract is loaded nothing is observed: no row (rather than a null day), so no cell has a period yet.
select
    (to_date(max(period), 'YYYY-MM') + interval '1 month' - interval '1 day')::date as observation_end
from {{ ref('stg_audit__batches') }}
where source = 'housing_tenancies' and status = 'loaded'
having count(*) > 0
