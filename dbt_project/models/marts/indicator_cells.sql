-- Every indicator cell before disclosure control, in the long published shape.
with retention as (
    select *
    from {{ ref('fct_housing_retention') }}
    where horizon_months = 12 and is_observed and not died_before_checkpoint
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

cells as (
    select
        coalesce(site, 'all') as site,
        coalesce(entry_cohort, 'all') as cohort,
        count(*) filter (where is_retained) as numerator,
        count(*) as denominator,
        count(distinct person_key) as persons
    from retention
    group by grouping sets ((site, entry_cohort), (site), (entry_cohort), ())
)

select
    'housing_retention_12m' as indicator_code,
    to_char(observation.observation_end, 'YYYY-MM-DD') as period,
    cells.site,
    cells.cohort,
    'all' as breakdown,
    cells.numerator::integer as numerator,
    cells.denominator::integer as denominator,
    round(cells.numerator::numeric / nullif(cells.denominator, 0), 4) as value,
    cells.persons::integer as persons
from cells
cross join observation
