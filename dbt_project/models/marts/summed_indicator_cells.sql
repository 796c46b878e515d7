-- Its sums fall into some ten thousand groups, but the planner, with no statistics of a union or of their
-- combined columns, expects hundreds of thousands and sorts the millions of rows instead (at 100k persons two
-- external merge sorts of 466 and 383 MB on disk). This build hashes them: at 100k persons 5.2 and 5.9 s against
-- 17.3 and 22.9 s, at 30k 2.2 and 3.1 s against 1.6-1.7 s (where it hashed some already). Statistics the planner
-- can use would be the better fix.
{{ config(pre_hook="set local enable_sort = off") }}

-- The indicator cells summed over persons and over partners' files, before disclosure control, in the long
-- published shape: person-based indicators by site and entry cohort with totals ('all') over the whole
-- observation (period: its last day), and some by site and reporting quarter (period 'YYYY-Qn', cohort 'all'):
-- returns to homelessness by the quarter their window closed, the share of days stably housed and peer-support
-- hours by the days of each quarter, landlord relations by the quarter of each incident, claim and conversion and
-- the leases running in it. A site's quarters sum to its total (the latest runs to the observation end), leases
-- excepted: a lease counts in each quarter it runs. Measures counted from entry need no quarters: a quarter would
-- only repeat an entry cohort (the one reaching its checkpoint then), published twice.
-- Also: the median time from referral to entry, and the partners' rows quarantined and days to arrival per source
-- and month (counting no persons: persons is null). A person-based or file value is numerator / denominator times
-- the scale of its indicator in the catalogue (100 for rates per 100 tenancies, 365.25 / 60 for peer-support
-- hours per person-year: minutes over days in a tenancy), so adding one needs no SQL here.
-- A person holds one contribution per indicator and breakdown (a tested key), so counting rows counts
-- persons: count(distinct) sorted every group's keys again, the larger part of this model's time.
-- Read twice, and not materialized: scanning the table again costs less than writing its million rows to a
-- temporary store on disk and reading that back (0.68x this model's time at 30k persons).
-- A person-based contribution's period is the observation's end (null in fct_indicator_contributions).
with contributions as not materialized (
    select
        contributions.indicator_code,
        -- an uncorrelated subquery: formatted once, not once per row
        coalesce(
            contributions.period,
            (select to_char(observation_end, 'YYYY-MM-DD') from {{ ref('int_observation_windows') }})
        ) as period,
        contributions.breakdown,
        contributions.person_key,
        contributions.site,
        contributions.entry_cohort,
        contributions.numerator,
        contributions.denominator,
        contributions.completed_quarter
    from {{ ref('fct_indicator_contributions') }} as contributions
),

-- a person's quarters: the share of days stably housed (the days of the quarter, of everyone observed in it),
-- peer-support hours per person-year (the quarter's minutes over its days in a tenancy), and a tenant's landlord
-- relations (the incidents, claims and conversions of the quarter, against the leases running in it)
quarter_rows as (
    select
        'housing_days_stably_housed_share' as indicator_code,
        quarter,
        site,
        days_stably_housed as numerator,
        days_observed as denominator
    from {{ ref('fct_housing_quarters') }}
    -- a quarter after the shelter data's end is observed for days in a tenancy only
    where days_observed > 0
    union all
    select
        'peer_support_hours_per_person_year' as indicator_code,
        quarter,
        site,
        peer_minutes as numerator,
        days_in_tenancy as denominator
    from {{ ref('fct_peer_support_quarters') }}
    union all
    select
        measures.indicator_code,
        tenants.quarter,
        tenants.site,
        measures.numerator,
        measures.denominator
    from {{ ref('fct_landlord_relation_quarters') }} as tenants
    cross join lateral ({{ landlord_indicator_measures(
        'tenants', incident_leases='leases_to_incidents_end', claim_leases='leases_to_claims_end'
    ) }}
    ) as measures (indicator_code, numerator, denominator, source)
    -- a claim made after the tenant's leases ended still counts in its quarter's claims per 100 tenancies; a
    -- quarter past the incidents or claims file's end holds none of its incidents or claims, nor leases to set
    -- them against: no cell
    where
        (measures.denominator > 0 or measures.numerator > 0)
        and measures.source in (select source from {{ ref('int_sources_observed') }})
),

-- each measure summed by its finest cell first, once: the grouping sets then add up some thousand sums rather than
-- hashing every contribution once per set (sums of whole numbers and decimals, so the same to the cent)
person_sums as (
    select
        indicator_code,
        period,
        breakdown,
        site,
        entry_cohort,
        completed_quarter,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(person_key) as persons
    from contributions
    group by indicator_code, period, breakdown, site, entry_cohort, completed_quarter
),

quarter_sums as (
    select
        indicator_code,
        quarter,
        site,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(*) as persons
    from quarter_rows
    group by indicator_code, quarter, site
),

person_cells as (
    select
        indicator_code,
        coalesce(completed_quarter, period) as period,
        coalesce(site, 'all') as site,
        coalesce(entry_cohort, 'all') as cohort,
        breakdown,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(persons) as persons
    from person_sums
    group by
        indicator_code,
        period,
        breakdown,
        grouping sets ((site, entry_cohort), (site), (entry_cohort), (), (completed_quarter, site), (completed_quarter))
    having grouping(completed_quarter) = 1 or completed_quarter is not null
    union all
    select
        indicator_code,
        quarter as period,
        coalesce(site, 'all') as site,
        'all' as cohort,
        'all' as breakdown,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(persons) as persons
    from quarter_sums
    group by indicator_code, quarter, grouping sets ((site), ())
),

median_cells as (
    select
        'housing_referral_to_entry_days_median' as indicator_code,
        period,
        coalesce(site, 'all') as site,
        coalesce(entry_cohort, 'all') as cohort,
        breakdown,
        round((percentile_cont(0.5) within group (order by numerator))::numeric, 4) as value,
        count(person_key) as persons
    from contributions
    where indicator_code = 'housing_referral_to_entry_days'
    group by indicator_code, period, breakdown, grouping sets ((site, entry_cohort), (site), (entry_cohort), ())
),

extract_cells as (
    select
        measures.indicator_code,
        to_char(extracts.period_end, 'YYYY-MM-DD') as period,
        'all' as site,
        'all' as cohort,
        extracts.source as breakdown,
        measures.numerator,
        measures.denominator,
        null::bigint as persons
    from {{ ref('fct_extract_quality') }} as extracts
    cross join lateral (
        values
            ('dq_rows_quarantined', extracts.rows_quarantined, extracts.rows_read),
            ('dq_extract_delay_days', extracts.days_to_arrival, 1)
    ) as measures (indicator_code, numerator, denominator)
),

ratio_cells as (
    select * from person_cells
    union all
    select * from extract_cells
)

select
    cells.indicator_code,
    cells.period,
    cells.site,
    cells.cohort,
    cells.breakdown,
    cells.numerator::bigint as numerator,
    cells.denominator::bigint as denominator,
    round(cells.numerator::numeric / nullif(cells.denominator, 0) * catalogue.scale, 4) as value,
    cells.persons::integer as persons
from ratio_cells as cells
-- left: a cell of an uncatalogued indicator stays, to fail the published relationship test, not vanish
left join {{ ref('indicator_catalogue') }} as catalogue on cells.indicator_code = catalogue.indicator_code
union all
select
    indicator_code,
    period,
    site,
    cohort,
    breakdown,
    null::bigint as numerator,
    persons::bigint as denominator,
    value,
    persons::integer as persons
from median_cells
