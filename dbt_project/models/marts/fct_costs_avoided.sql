-- Public costs of each person's service use in the 12 months before entry and the 12 months after, by sector
-- (health, justice, shelter): each fct_service_use measure priced at its indicative unit cost (seed unit_costs),
-- for people the sector's source observes over both windows (one person-year per window). Costs avoided are
-- before minus after (negative when use grew).
with service_use as (
    select * from {{ ref('fct_service_use') }}
),

unit_costs as (
    select * from {{ ref('unit_costs') }}
),

priced as (
    select
        service_use.person_key,
        service_use.site,
        service_use.entry_cohort,
        service_use.source,
        unit_costs.sector,
        service_use.window_name,
        service_use.amount * unit_costs.unit_cost_eur as cost
    from service_use
    inner join unit_costs on service_use.measure = unit_costs.measure
)

select
    person_key,
    site,
    entry_cohort,
    sector,
    sum(cost) filter (where window_name = 'before')::numeric(14, 2) as cost_before,
    sum(cost) filter (where window_name = 'after')::numeric(14, 2) as cost_after,
    (coalesce(sum(cost) filter (where window_name = 'before'), 0)
        - coalesce(sum(cost) filter (where window_name = 'after'), 0))::numeric(14, 2) as cost_avoided
from priced
group by person_key, site, entry_cohort, sector
