-- Programme cost per site and calendar year: what the funders' conventions commit and have paid (and the
-- commitment to the observation end, fct_funder_portfolio), against the days the site's participants held a
-- programme tenancy that year (overlapping tenancies counted once, up to the end of observation) and the persons
-- housed.
with observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

conventions as (
    select
        site,
        year,
        sum(committed) as committed,
        sum(paid) as paid,
        sum(committed_to_date) as committed_to_date
    from {{ ref('fct_funder_portfolio') }}
    group by site, year
),

years as (
    select generate_series(
        (select min(year) from conventions)::int, extract(year from observation_end)::int
    )::int as year
    from observation
),

tenancy_years as (
    select
        tenancies.person_key,
        entries.site,
        years.year,
        greatest(tenancies.start_date, make_date(years.year, 1, 1)) as start_day,
        least(
            coalesce(tenancies.end_date, observation.observation_end + 1),
            observation.observation_end + 1,
            make_date(years.year + 1, 1, 1)
        ) as end_day
    from {{ ref('stg_housing__tenancies') }} as tenancies
    inner join {{ ref('int_participants_entered') }} as entries on tenancies.person_key = entries.person_key
    cross join observation
    inner join years
        on tenancies.start_date < make_date(years.year + 1, 1, 1)
        and (tenancies.end_date is null or tenancies.end_date > make_date(years.year, 1, 1))
),

housed as (
    {{ union_days('tenancy_years', ['person_key', 'site', 'year']) }}
),

housed_by_site as (
    select site, year, sum(covered_days) as days_housed, count(*) as persons_housed
    from housed
    group by site, year
)

select
    coalesce(conventions.site, housed_by_site.site) as site,
    coalesce(conventions.year, housed_by_site.year)::integer as year,
    coalesce(conventions.committed, 0)::numeric(14, 2) as committed,
    coalesce(conventions.paid, 0)::numeric(14, 2) as paid,
    coalesce(conventions.committed_to_date, 0)::numeric(14, 2) as committed_to_date,
    coalesce(housed_by_site.days_housed, 0)::integer as days_housed,
    coalesce(housed_by_site.persons_housed, 0)::integer as persons_housed
from conventions
full outer join housed_by_site on conventions.site = housed_by_site.site and conventions.year = housed_by_site.year
