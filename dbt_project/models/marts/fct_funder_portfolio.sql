-- Each funder's portfolio: what its conventions commit and have paid, per sector, site and year, with the cost
-- sector (health, justice, shelter) whose avoided costs its own sector is set against, where there is one.
-- committed_to_date is what costs per person-year set against days housed up to the observation end: a past
-- year's commitment whole, the year in progress pro rata of its days observed, later years of a multi-year
-- convention nothing.
with conventions as (
    select
        *,
        year::integer as calendar_year,
        make_date(year::integer + 1, 1, 1) - make_date(year::integer, 1, 1) as days_in_year
    from {{ ref('stg_finance__conventions') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

-- one row per funder code: a funder the partner's file lists twice (a record kept beside its correction) must
-- not count each of its convention lines twice (stg_finance__funders warns of it)
funders as (
    select
        funder_code,
        min(funder_name) as funder_name,
        min(funder_kind) as funder_kind
    from {{ ref('stg_finance__funders') }}
    group by funder_code
)

select
    conventions.funder_code,
    funders.funder_name,
    funders.funder_kind,
    conventions.sector,
    case conventions.sector
        when 'sante' then 'health'
        when 'justice' then 'justice'
        when 'hebergement' then 'shelter'
    end as cost_sector,
    conventions.site,
    conventions.calendar_year as year,
    count(*)::integer as convention_lines,
    sum(conventions.committed_amount)::numeric(14, 2) as committed,
    sum(coalesce(conventions.paid_amount, 0))::numeric(14, 2) as paid,
    (sum(conventions.committed_amount) * least(
        greatest(observation.observation_end - make_date(conventions.calendar_year, 1, 1) + 1, 0),
        conventions.days_in_year
    ) / conventions.days_in_year)::numeric(14, 2) as committed_to_date
from conventions
left join funders on conventions.funder_code = funders.funder_code
-- a funder's commitments are known before any housing is observed (nothing committed to date yet then)
left join observation on true
group by
    conventions.funder_code,
    funders.funder_name,
    funders.funder_kind,
    conventions.sector,
    conventions.site,
    conventions.calendar_year,
    conventions.days_in_year,
    observation.observation_end
