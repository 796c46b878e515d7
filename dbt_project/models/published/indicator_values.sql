-- The only indicator table dashboards and extracts read: every cell after disclosure control.
-- A pay-for-performance clause's value, and its payment due (which shows the same persons), sum the cohort cells
-- of the indicator the clause measures over the quarters of the clause's year at its site (fct_pfp_clauses).
-- Shown beside those quarters, such a year would give a suppressed quarter away (the year minus the shown
-- quarters). So each clause's year enters the table of the cohort cells it sums as a year cell (cohort 'YYYY'),
-- quarters and years are suppressed together (suppress_cells nests a year's quarters under it), and a clause's
-- cells are hidden whenever a year cell they show is. Year cells themselves are not published.
-- The clause's persons are also those of every indicator counting exactly the same persons (the health measures
-- before and after entry and the health costs avoided share one population; so do employment at 12 months and
-- weekly hours): their cohort cells get the clause's year cells too, so that they are suppressed alike and the
-- clause's persons give none of them away.
-- A funder's cost-offset cells show the persons and, in part, the avoided costs of its sector's cost_avoided cell
-- at each site it funds (site totals, cohort 'all'): they are hidden whenever one of those is, or would show it.
-- Their commitment per person-year is the funder's public commitments over the days housed at the site in its
-- years, the programme cost's days when it funds every year the programme does: hidden with that cell too, at
-- every site where it has committed something to date (its all-sites cell sets their days against its money,
-- a site with no avoided costs yet included).
-- A site's net cost and cost-offset ratio set its three sectors' avoided costs per person-year against its
-- programme cost: beside the other two sectors' cells, either gives a hidden one away, so they are hidden with it.
-- Together, or either beside its avoided costs, they also give the programme cost back (net / (1 - ratio)): they
-- are hidden with it too (a site's taken as a small site's complement in the programme cost's line).
-- All sites' cover the sites with a programme cost only: leaving a site out, they are hidden with any site's.
with cells as (
    select * from {{ ref('indicator_cells') }}
),

clause_cells as (
    select * from cells
    where indicator_code in ('pfp_indicator_value', 'pfp_payment_due')
),

-- the cohort cells (indicator and breakdown) each clause indicator sums, as fct_pfp_clauses measures it
clause_sources (clause_indicator, indicator_code, breakdown) as (
    values
        ('housing_retention_12m', 'housing_retention_12m', 'all'),
        ('employment_in_work_12m', 'employment_in_work_or_training_12m', 'all'),
        ('health_emergency_visits_change', 'health_emergency_visits', 'before'),
        ('health_emergency_visits_change', 'health_emergency_visits', 'after')
),

populations as (
    select * from {{ ref('indicator_populations') }}
),

-- a clause's source cells, and those of every indicator counting the same persons
clause_populations as (
    select clause_indicator, indicator_code, breakdown from clause_sources
    union
    select clause_sources.clause_indicator, mates.indicator_code, mates.breakdown
    from clause_sources
    inner join populations as sources
        on clause_sources.indicator_code = sources.indicator_code and clause_sources.breakdown = sources.breakdown
    inner join populations as mates on sources.persons = mates.persons and sources.fingerprint = mates.fingerprint
),

clause_years as (
    select distinct
        clause_cells.indicator_code as clause_code,
        clause_cells.period as clause_period,
        clause_cells.breakdown as clause_breakdown,
        clause_cells.site,
        clause_populations.indicator_code,
        clause_populations.breakdown,
        left(clause_cells.period, 4) as cohort
    from clause_cells
    inner join clause_populations on split_part(clause_cells.breakdown, ':', 2) = clause_populations.clause_indicator
),

year_cells as (
    select
        cells.indicator_code,
        cells.period,
        cells.site,
        years.cohort,
        cells.breakdown,
        sum(cells.numerator)::bigint as numerator,
        sum(cells.denominator)::bigint as denominator,
        null::numeric as value,
        sum(cells.persons)::integer as persons
    from (select distinct indicator_code, breakdown, site, cohort from clause_years) as years
    inner join cells
        on years.indicator_code = cells.indicator_code
        and years.breakdown = cells.breakdown
        and years.site = cells.site
        and cells.cohort like years.cohort || '-Q_'
    group by cells.indicator_code, cells.period, cells.site, years.cohort, cells.breakdown
),

linked as (
    select * from cells
    where indicator_code not in (
        'pfp_indicator_value',
        'pfp_payment_due',
        'funder_cost_offset_ratio',
        'cost_net_per_person_year',
        'cost_offset_ratio'
    )
    union all
    select * from year_cells
),

protected as (
    {{ suppress_cells('linked') }}
),

clauses_hidden as (
    select
        clause_years.clause_code,
        clause_years.clause_period,
        clause_years.clause_breakdown,
        clause_years.site,
        bool_or(protected.suppressed) as suppressed
    from clause_years
    inner join protected
        on clause_years.indicator_code = protected.indicator_code
        and clause_years.breakdown = protected.breakdown
        and clause_years.site = protected.site
        and clause_years.cohort = protected.cohort
    group by clause_years.clause_code, clause_years.clause_period, clause_years.clause_breakdown, clause_years.site
),

funder_cells as (
    select * from cells
    where indicator_code = 'funder_cost_offset_ratio'
),

-- the cells a funder's cost-offset cells rest on: its sector's avoided costs at each site it funds, and the
-- programme cost of each site where it has committed something to date (its days housed there, in its all-sites
-- cell even where nobody is observed a year after entry yet); a site whose convention starts later gives nothing
-- of its programme cost away
funder_sources as (
    select distinct
        funder_code || ':' || sector as breakdown,
        'cost_avoided_' || cost_sector as indicator_code,
        site
    from {{ ref('fct_funder_portfolio') }}
    where cost_sector is not null
    union
    select funder_code || ':' || sector as breakdown, 'cost_programme_per_person_year' as indicator_code, site
    from {{ ref('fct_funder_portfolio') }}
    where cost_sector is not null
    group by funder_code, sector, site
    having sum(committed_to_date) > 0
),

funders_hidden as (
    select funder_sources.breakdown, protected.period, bool_or(protected.suppressed) as suppressed
    from funder_sources
    inner join protected
        on funder_sources.indicator_code = protected.indicator_code
        and funder_sources.site = protected.site
        and protected.cohort = 'all'
        and protected.breakdown = 'all'
    group by funder_sources.breakdown, protected.period
),

net_cost_cells as (
    select * from cells
    where indicator_code in ('cost_net_per_person_year', 'cost_offset_ratio')
),

avoided_cells as (
    select * from protected
    where
        indicator_code in ('cost_avoided_health', 'cost_avoided_justice', 'cost_avoided_shelter')
        and cohort = 'all'
        and breakdown = 'all'
),

-- the sites with avoided costs but no programme cost, which the all-sites net cost and ratio leave out
uncosted_sites as (
    select distinct avoided_cells.site, avoided_cells.period
    from avoided_cells
    where avoided_cells.site != 'all' and not exists (
        select 1 from cells
        where
            cells.indicator_code = 'cost_programme_per_person_year'
            and cells.site = avoided_cells.site
            and cells.period = avoided_cells.period
            and cells.value > 0
    )
),

-- whether a net cost and ratio rest on a hidden avoided-cost cell: a site's on its own, all sites' on the
-- all-sites cells; and when all sites' leave a site out, they set the costed sites' sum beside the all-sites
-- and each site's cells, from which a hidden one at any site could be recovered
avoided_hidden as (
    select
        site,
        period,
        bool_or(suppressed) or (
            site = 'all'
            and exists (select 1 from uncosted_sites where uncosted_sites.period = avoided_cells.period)
            and bool_or(bool_or(suppressed)) over (partition by period)
        ) as suppressed
    from avoided_cells
    group by site, period
),

-- whether the programme cost a net cost and ratio rest on is hidden
programme_hidden as (
    select site, period, suppressed
    from protected
    where indicator_code = 'cost_programme_per_person_year' and cohort = 'all' and breakdown = 'all'
),

-- the cells published beside the suppressed table, each with whether a cell it rests on is hidden
dependent_cells as (
    select clause_cells.*, coalesce(clauses_hidden.suppressed, false) as rests_on_hidden
    from clause_cells
    left join clauses_hidden
        on clause_cells.indicator_code = clauses_hidden.clause_code
        and clause_cells.period = clauses_hidden.clause_period
        and clause_cells.breakdown = clauses_hidden.clause_breakdown
        and clause_cells.site = clauses_hidden.site
    union all
    select funder_cells.*, coalesce(funders_hidden.suppressed, false) as rests_on_hidden
    from funder_cells
    left join funders_hidden
        on funder_cells.breakdown = funders_hidden.breakdown and funder_cells.period = funders_hidden.period
    union all
    select
        net_cost_cells.*,
        coalesce(avoided_hidden.suppressed, false) or coalesce(programme_hidden.suppressed, false) as rests_on_hidden
    from net_cost_cells
    left join avoided_hidden
        on net_cost_cells.site = avoided_hidden.site and net_cost_cells.period = avoided_hidden.period
    left join programme_hidden
        on net_cost_cells.site = programme_hidden.site and net_cost_cells.period = programme_hidden.period
),

dependents_protected as (
    select
        *,
        coalesce(persons < {{ var('min_cell_persons') }}, false) as is_small,
        coalesce(persons < {{ var('min_cell_persons') }}, false) or rests_on_hidden as is_suppressed
    from dependent_cells
),

published as (
    select * from protected
    where cohort !~ '^[0-9]{4}$'
    union all
    select {{ published_cell_columns() }}
    from dependents_protected
)

select * from published
order by indicator_code, period, site, cohort, breakdown
