-- Pay-for-performance clauses: for each clause (funder, site, year, indicator, target, payment), the indicator
-- measured on the people who entered at that site that year, whether it meets the target and the payment due.
-- The clause's indicator codes map onto the catalogue's: housing_retention_12m as published;
-- employment_in_work_12m is employment_in_work_or_training_12m; health_emergency_visits_change is the relative
-- change of emergency visits, (after - before) / before, over the people of health_emergency_visits.
-- A clause is met when the value reaches its target (at or above it; at or below it for a change, which aims
-- at a fall); the payment is then due in full, else nothing. Not yet measurable (nobody observed): nulls.
-- The value accrues as the year's entrants are observed 12 months after entry, the early ones first: it stays
-- provisional, and the payment due null, while any entrant is awaited (alive and not yet observed long enough),
-- lest a funder read a payment that later entrants will still change. Those out of the measure for good (dead
-- before their checkpoint or window's end; for visits, their window before starting before the hospital's
-- history) wait for nothing. Nor is it due before the housing data reach the year's last day: until then the
-- year's later entrants are not known at all, and the hospital's extracts, ahead of the operator's, may already
-- cover the year after entry of every entrant known.
with contributions as (
    select
        *,
        left(entry_cohort, 4)::int as entry_year
    from {{ ref('fct_indicator_contributions') }}
    where indicator_code in (
        'housing_retention_12m', 'employment_in_work_or_training_12m', 'health_emergency_visits'
    )
),

measures as (
    select
        case indicator_code
            when 'housing_retention_12m' then 'housing_retention_12m'
            else 'employment_in_work_12m'
        end as clause_indicator,
        site,
        entry_year,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        count(distinct person_key) as persons
    from contributions
    where indicator_code in ('housing_retention_12m', 'employment_in_work_or_training_12m')
    group by indicator_code, site, entry_year
    union all
    select
        'health_emergency_visits_change' as clause_indicator,
        site,
        entry_year,
        sum(numerator) filter (where breakdown = 'after')
        - sum(numerator) filter (where breakdown = 'before') as numerator,
        sum(numerator) filter (where breakdown = 'before') as denominator,
        count(distinct person_key) as persons
    from contributions
    where indicator_code = 'health_emergency_visits'
    group by site, entry_year
),

-- the entrants each clause indicator will measure once observed long enough, as its measure decides
awaited as (
    select 'housing_retention_12m' as clause_indicator, site, entry_cohort
    from {{ ref('fct_housing_retention') }}
    where horizon_months = 12 and not is_observed and not died_before_checkpoint
    union all
    select 'employment_in_work_12m' as clause_indicator, site, entry_cohort
    from {{ ref('fct_employment_status') }}
    where horizon_months = 12 and is_awaited and not died_before_checkpoint
    union all
    select 'health_emergency_visits_change' as clause_indicator, site, entry_cohort
    from {{ ref('int_service_windows_observed') }}
    where source = 'health_encounters' and is_awaited
),

awaited_years as (
    select clause_indicator, site, left(entry_cohort, 4)::int as entry_year, count(*) as persons
    from awaited
    group by clause_indicator, site, left(entry_cohort, 4)::int
),

directions (clause_indicator, aims_lower) as (
    values
        ('housing_retention_12m', false),
        ('employment_in_work_12m', false),
        ('health_emergency_visits_change', true)
),

clauses as (
    select * from {{ ref('stg_finance__pfp_clauses') }}
),

observation as (
    select observation_end from {{ ref('int_observation_windows') }}
),

valued as (
    select
        clauses.clause_ref,
        clauses.clause_id,
        clauses.funder_code,
        clauses.convention_number,
        clauses.site,
        clauses.indicator_code,
        clauses.year::integer as year,
        clauses.target,
        clauses.payment,
        measures.numerator::bigint as measured_numerator,
        measures.denominator::bigint as measured_denominator,
        coalesce(measures.persons, 0)::integer as persons_measured,
        coalesce(awaited_years.persons, 0)::integer as persons_awaited,
        coalesce(observation.observation_end >= make_date(clauses.year::integer, 12, 31), false) as is_year_entered,
        measures.numerator::numeric / nullif(measures.denominator, 0) as indicator_value,
        directions.aims_lower
    from clauses
    left join measures
        on clauses.indicator_code = measures.clause_indicator
        and clauses.site = measures.site
        and clauses.year = measures.entry_year
    left join awaited_years
        on clauses.indicator_code = awaited_years.clause_indicator
        and clauses.site = awaited_years.site
        and clauses.year = awaited_years.entry_year
    left join directions on clauses.indicator_code = directions.clause_indicator
    left join observation on true
)

select
    clause_ref,
    clause_id,
    funder_code,
    convention_number,
    site,
    indicator_code,
    year,
    target,
    payment,
    measured_numerator,
    measured_denominator,
    persons_measured,
    persons_awaited,
    indicator_value,
    case
        when aims_lower then indicator_value <= target
        else indicator_value >= target
    end as is_target_met,
    case
        when indicator_value is null or persons_awaited > 0 or not is_year_entered then null
        when (aims_lower and indicator_value <= target) or (not aims_lower and indicator_value >= target)
            then payment
        else 0
    end::numeric(14, 2) as payment_due
from valued
