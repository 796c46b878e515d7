-- Indicator cells that are not sums over persons, in the long shape of indicator_cells (before disclosure
-- control): tenants' voice per site and quarter (period: the quarter's last day), partner landlords (over the
-- whole observation, and by reporting quarter 'YYYY-Qn': those with a lease running in it), the programme's
-- cost, net cost and cost-offset ratio (period: the last day observed), and the funders' portfolio per year
-- (period: 31 December) and pay-for-performance clauses. 'all' marks a total; cohort is always 'all'.
-- persons: survey answers for survey scores (each answer is a tenant's), persons behind the cost and clause
-- cells, null for cells that count no person (council sessions, landlords, funders' amounts).
with observation as (
    select to_char(observation_end, 'YYYY-MM-DD') as period from {{ ref('int_observation_windows') }}
),

voice_measures as (
    select
        voice.site,
        voice.quarter_end,
        measures.*
    from {{ ref('fct_tenant_voice') }} as voice
    cross join lateral (
        values
            ('voice_satisfaction_housing', voice.satisfaction_housing_sum, voice.satisfaction_housing_answers, true),
            ('voice_satisfaction_support', voice.satisfaction_support_sum, voice.satisfaction_support_answers, true),
            ('voice_quality_of_life', voice.quality_of_life_sum, voice.quality_of_life_answers, true),
            ('voice_council_sessions', voice.council_sessions, null::integer, false),
            ('voice_council_actions', voice.council_actions, voice.council_sessions_with_actions, false)
    ) as measures (indicator_code, numerator, denominator, counts_answers)
    -- a mean needs answers (or sessions whose actions are known), the count of sessions a session
    where coalesce(measures.denominator, measures.numerator) > 0
),

voice_cells as (
    select
        indicator_code,
        to_char(quarter_end, 'YYYY-MM-DD') as period,
        case when grouping(site) = 1 then 'all' else site end as site,
        'all' as cohort,
        'all' as breakdown,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        case
            when indicator_code = 'voice_council_sessions' then sum(numerator)
            else sum(numerator)::numeric / nullif(sum(denominator), 0)
        end as value,
        case when bool_and(counts_answers) then sum(denominator) end as persons
    from voice_measures
    group by indicator_code, quarter_end, grouping sets ((site), ())
),

-- partner landlords over the whole observation (those holding or having held a lease at the site) and by
-- reporting quarter (those with a lease running in it at the site), each with its kind
landlord_periods as (
    select landlords.landlord_id, landlords.site, landlords.landlord_type, observation.period
    from {{ ref('fct_partner_landlords') }} as landlords
    cross join observation
    union
    select leases.landlord_id, leases.site, landlords.landlord_type, leases.quarter as period
    from {{ ref('fct_lease_quarters') }} as leases
    inner join {{ ref('fct_partner_landlords') }} as landlords
        on leases.landlord_id = landlords.landlord_id and leases.site = landlords.site
),

landlord_cells as (
    select
        'landlord_partner_landlords' as indicator_code,
        period,
        case when grouping(site) = 1 then 'all' else site end as site,
        'all' as cohort,
        case when grouping(landlord_type) = 1 then 'all' else landlord_type end as breakdown,
        count(distinct landlord_id) as numerator,
        null::numeric as denominator,
        count(distinct landlord_id)::numeric as value,
        null::integer as persons
    -- one row per landlord, site and period: a landlord leasing at two sites counts once in their total
    from landlord_periods
    group by period, grouping sets ((site, landlord_type), (site), (landlord_type), ())
    -- a landlord whose file never gives its kind (an optional column) counts in 'all' only: no kind is no breakdown
    having grouping(landlord_type) = 1 or landlord_type is not null
),

-- the programme at a site: what its funders committed to date against the days housed there in the years they
-- committed something (a year the file holds no commitment for is no year the programme's cost is known of)
programme_sites as (
    select
        site,
        sum(committed_to_date) as committed,
        sum(case when committed > 0 then days_housed else 0 end) as days_housed
    from {{ ref('fct_programme_costs') }}
    group by site
),

-- each site is its own scope; all sites together are the sites with a programme cost only: a site without a
-- convention (its cells without a value) would add its persons and avoided costs to the all-sites cells, but
-- nothing to the programme cost they are set against
scopes as (
    select site, site as scope from programme_sites
    union all
    select site, 'all' as scope from programme_sites
    where committed > 0 and days_housed > 0
),

participants as (
    select scopes.scope as site, count(*) as persons
    from {{ ref('int_participants_entered') }} as entries
    inner join scopes on entries.site = scopes.site
    group by scopes.scope
),

programme as (
    select
        scopes.scope as site,
        sum(programme_sites.committed) as committed,
        sum(programme_sites.days_housed) as days_housed
    from programme_sites
    inner join scopes on programme_sites.site = scopes.site
    group by scopes.scope
    -- a site without a programme cost has no cost cell: an empty one would sit in the sites' line under the
    -- all-sites cell, which does not add it up, and could be taken as a hidden site's complement there
    having sum(programme_sites.committed) > 0 and sum(programme_sites.days_housed) > 0
),

avoided_by_sector as (
    select
        scopes.scope as site,
        costs.sector,
        sum(costs.cost_avoided) / count(*) as avoided_per_person_year,
        count(*) as persons
    from {{ ref('fct_costs_avoided') }} as costs
    inner join scopes on costs.site = scopes.site
    group by scopes.scope, costs.sector
),

avoided as (
    select
        site,
        sum(avoided_per_person_year) as avoided_per_person_year,
        min(persons) as persons
    from avoided_by_sector
    group by site
    having count(*) = 3
),

cost_cells as (
    select
        'cost_programme_per_person_year' as indicator_code,
        observation.period,
        programme.site,
        'all' as cohort,
        'all' as breakdown,
        programme.committed as numerator,
        programme.days_housed as denominator,
        programme.committed * 365.25 / nullif(programme.days_housed, 0) as value,
        participants.persons
    from programme
    inner join participants on programme.site = participants.site
    cross join observation
    union all
    select
        measures.indicator_code,
        observation.period,
        programme.site,
        'all' as cohort,
        'all' as breakdown,
        null::numeric as numerator,
        null::numeric as denominator,
        measures.value,
        least(avoided.persons, participants.persons) as persons
    from programme
    inner join participants on programme.site = participants.site
    inner join avoided on programme.site = avoided.site
    cross join observation
    cross join lateral (
        values
            (
                'cost_net_per_person_year',
                programme.committed * 365.25 / nullif(programme.days_housed, 0) - avoided.avoided_per_person_year
            ),
            (
                'cost_offset_ratio',
                avoided.avoided_per_person_year / nullif(programme.committed * 365.25 / nullif(programme.days_housed, 0), 0)
            )
    ) as measures (indicator_code, value)
),

portfolio as (
    select * from {{ ref('fct_funder_portfolio') }}
),

funder_year_cells as (
    select
        measures.indicator_code,
        to_char(make_date(yearly.year, 12, 31), 'YYYY-MM-DD') as period,
        yearly.site,
        'all' as cohort,
        yearly.funder_code || ':' || yearly.sector as breakdown,
        measures.numerator,
        measures.denominator,
        measures.value,
        null::integer as persons
    from (
        select
            funder_code,
            sector,
            year,
            case when grouping(site) = 1 then 'all' else site end as site,
            sum(committed) as committed,
            sum(paid) as paid
        from portfolio
        group by funder_code, sector, year, grouping sets ((site), ())
    ) as yearly
    cross join lateral (
        values
            ('funder_committed', yearly.committed, null::numeric, yearly.committed),
            ('funder_paid_share', yearly.paid, yearly.committed, yearly.paid / nullif(yearly.committed, 0))
    ) as measures (indicator_code, numerator, denominator, value)
    where measures.indicator_code = 'funder_committed' or yearly.committed > 0
),

housed_by_year as (
    select site, year, days_housed
    from {{ ref('fct_programme_costs') }}
),

avoided_by_site as (
    select site, sector, sum(cost_avoided) as avoided, count(*) as persons
    from {{ ref('fct_costs_avoided') }}
    group by site, sector
),

-- each funder's part of what its sector's funders commit at a site in a year (to date): its share of the sector's
-- avoided costs there in that year
portfolio_years as (
    select
        portfolio.*,
        housed_by_year.days_housed,
        portfolio.committed_to_date
        / nullif(sum(portfolio.committed_to_date) over (partition by portfolio.sector, portfolio.site, portfolio.year), 0)
            as year_share
    from portfolio
    left join housed_by_year on portfolio.site = housed_by_year.site and portfolio.year = housed_by_year.year
    where portfolio.cost_sector is not null
),

-- what each funder committed in a sector at a site (all years, to the observation end) and the days housed at
-- the site in the years it committed something there: its commitment per person-year is spread over those only,
-- not over years before its sector was funded there; shared_days weighs each of those days by its year's share
funder_sector_sites as (
    select
        funder_code,
        sector,
        cost_sector,
        site,
        sum(committed_to_date) as committed,
        coalesce(sum(days_housed) filter (where committed > 0), 0) as days_housed,
        coalesce(sum(days_housed * year_share) filter (where committed > 0), 0) as shared_days
    from portfolio_years
    group by funder_code, sector, cost_sector, site
),

-- each funder's share of the sector's avoided costs at a site: year by year, its part of what the sector's funders
-- commit there, averaged over the days housed in its years. Funders of the same years share those years' avoided
-- costs; one taking over from another (a foundation, then the health agency) has the whole of its own years', as
-- the one before it had of its own: counted once. None while they have all committed nothing yet
funder_shares as (
    select
        *,
        shared_days / nullif(days_housed, 0) as committed_share
    from funder_sector_sites
),

funder_offset_cells as (
    select
        'funder_cost_offset_ratio' as indicator_code,
        observation.period,
        scope.site,
        'all' as cohort,
        funded.funder_code || ':' || funded.sector as breakdown,
        null::numeric as numerator,
        null::numeric as denominator,
        (sum(avoided_by_site.avoided * funded.committed_share) / sum(avoided_by_site.persons))
        / nullif(sum(funded.committed) * 365.25 / nullif(sum(funded.days_housed), 0), 0) as value,
        sum(avoided_by_site.persons) as persons
    from funder_shares as funded
    left join avoided_by_site
        on funded.site = avoided_by_site.site and funded.cost_sector = avoided_by_site.sector
    cross join lateral (values (funded.site), ('all')) as scope (site)
    cross join observation
    -- a site has a cell once its sector has avoided costs there. The all-sites cell covers every site where the
    -- funder has committed something to date against days housed, as the programme's cost covers every site with
    -- one: a site where nobody is observed a year after entry yet adds its money and days but no persons (money
    -- spent there is spent; leaving it out would overstate the return), one whose convention starts later nothing
    where
        (scope.site != 'all' and avoided_by_site.site is not null)
        or (scope.site = 'all' and funded.committed > 0 and funded.days_housed > 0)
    group by observation.period, funded.funder_code, funded.sector, scope.site
    -- no all-sites cell without a person observed at any of its sites
    having sum(avoided_by_site.persons) > 0
),

clauses as (
    select * from {{ ref('fct_pfp_clauses') }}
),

-- each clause its own cells, told apart by the partner's clause id: tiered targets (80% pays X, 90% more) or
-- two conventions for one funder, indicator, site and year are separate clauses, not summed. A value or payment
-- due not known yet has no cell: the payment due waits for every entrant of the year (fct_pfp_clauses)
pfp_cells as (
    select
        measures.indicator_code,
        to_char(make_date(clauses.year, 12, 31), 'YYYY-MM-DD') as period,
        clauses.site,
        'all' as cohort,
        concat_ws(':', clauses.funder_code, clauses.indicator_code, clauses.clause_id) as breakdown,
        measures.numerator,
        measures.denominator,
        measures.value,
        measures.persons
    from clauses
    cross join lateral (
        values
            ('pfp_target', null::numeric, null::numeric, clauses.target, null::integer),
            (
                'pfp_indicator_value',
                clauses.measured_numerator::numeric,
                clauses.measured_denominator::numeric,
                clauses.indicator_value,
                clauses.persons_measured
            ),
            (
                'pfp_payment_due',
                clauses.payment_due,
                clauses.payment,
                clauses.payment_due,
                clauses.persons_measured
            )
    ) as measures (indicator_code, numerator, denominator, value, persons)
    where measures.indicator_code = 'pfp_target' or measures.value is not null
),

cells as (
    select * from voice_cells
    union all
    select * from landlord_cells
    union all
    select * from cost_cells
    union all
    select * from funder_year_cells
    union all
    select * from funder_offset_cells
    union all
    select * from pfp_cells
)

select
    indicator_code,
    period,
    site,
    cohort,
    breakdown,
    numerator::bigint as numerator,
    denominator::bigint as denominator,
    round(value::numeric, 4) as value,
    persons::integer as persons
from cells
