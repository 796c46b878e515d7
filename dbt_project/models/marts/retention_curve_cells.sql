-- Kaplan-Meier estimate of the share still housed by month since entry, per site and for all sites, before
-- disclosure control. At month m, at risk are the people whose time housed (fct_housing_tenure.km_months) is at
-- least m; events are the housing losses counted at m; survival multiplies (1 - events / at risk) up to m.
with tenure as (
    select site, km_months, km_is_event from {{ ref('fct_housing_tenure') }}
),

observation as (
    select to_char(observation_end, 'YYYY-MM-DD') as period from {{ ref('int_observation_windows') }}
),

by_month as (
    select
        coalesce(site, 'all') as site,
        km_months,
        count(*) as persons,
        count(*) filter (where km_is_event) as events
    from tenure
    group by grouping sets ((site, km_months), (km_months))
),

grid as (
    select
        site,
        generate_series(0, max(km_months)) as time_months
    from by_month
    group by site
),

counted as (
    select
        grid.site,
        grid.time_months,
        coalesce(by_month.events, 0) as events,
        sum(coalesce(by_month.persons, 0)) over (
            partition by grid.site order by grid.time_months desc rows unbounded preceding
        ) as at_risk
    from grid
    left join by_month on grid.site = by_month.site and grid.time_months = by_month.km_months
),

estimated as (
    select
        *,
        -- Once everyone at risk has lost their home the curve stays at 0. The window sums are computed for every
        -- row whatever the case picks, so ln() is spared that month's zero (a site's last tenant, at 100k persons).
        case
            when bool_or(events = at_risk) over cumulative then 0
            else exp(sum(ln(nullif(1 - events::float8 / at_risk, 0))) over cumulative)
        end as survival
    from counted
    window cumulative as (partition by site order by time_months rows unbounded preceding)
)

select
    observation.period,
    estimated.site,
    estimated.time_months::integer as time_months,
    estimated.at_risk::integer as at_risk,
    estimated.events::integer as events,
    round(estimated.survival::numeric, 4) as survival
from estimated
cross join observation
