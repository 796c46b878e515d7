-- What each person adds to each person-based indicator: one row per indicator, breakdown and person,
-- with the person's share of the numerator and denominator (whole numbers, or euros and hours with decimals).
-- indicator_cells sums these by site and entry cohort, with totals, and by the quarter of completed_on where a
-- measure's quarter is not its entry cohort's: the day a return window closed. Measures counted from entry (a
-- checkpoint, the 12 months after entry) need none: their entry cohorts are already their quarterly series.
-- Their period, the observation's end, is left null here and added by the readers: held on every row, it made
-- every row change with each new month (the share of participants linked has its own, its source's end).
with retention as (
    select
        'housing_retention_' || horizon_months || 'm' as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        is_retained::integer as numerator,
        1 as denominator,
        null::date as completed_on
    from {{ ref('fct_housing_retention') }}
    where is_observed and not died_before_checkpoint
),

tenure as (
    select * from {{ ref('fct_housing_tenure') }}
),

referral as (
    select
        'housing_referral_to_entry_days' as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        days_referral_to_entry as numerator,
        1 as denominator,
        null::date as completed_on
    from tenure
    where days_referral_to_entry is not null
),

stably_housed as (
    select
        'housing_days_stably_housed_share' as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        days_stably_housed as numerator,
        days_observed as denominator,
        null::date as completed_on
    from tenure
    -- none observed: entered after the shelter data's end, or before any shelter extract
    where days_observed > 0
),

returns as (
    select
        'housing_returns_homelessness_' || windows.first_day || '_' || windows.last_day || 'd' as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        coalesce(days_to_return between windows.first_day and windows.last_day, false)::integer as numerator,
        1 as denominator,
        exit_date + windows.last_day as completed_on
    from {{ ref('fct_housing_returns') }}
    cross join (values (0, 180), (181, 365), (366, 730)) as windows (first_day, last_day)
    where days_observed_after_exit >= windows.last_day
),

service_use as (
    select
        measure as indicator_code,
        window_name as breakdown,
        person_key,
        site,
        entry_cohort,
        amount as numerator,
        1 as denominator,
        null::date as completed_on
    from {{ ref('fct_service_use') }}
),

employment as (
    select
        'employment_in_work_or_training_' || horizon_months || 'm' as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        is_in_work_or_training::integer as numerator,
        1 as denominator,
        null::date as completed_on
    from {{ ref('fct_employment_status') }}
    where is_observed and not died_before_checkpoint
),

-- the met share counts the persons whose support contacts are observed (fct_peer_support: else null)
peer_support as (
    select
        measures.indicator_code,
        'all' as breakdown,
        peer.person_key,
        peer.site,
        peer.entry_cohort,
        measures.numerator,
        measures.denominator,
        null::date as completed_on
    from {{ ref('fct_peer_support') }} as peer
    cross join lateral (
        values
            ('peer_support_met_share', peer.has_met_peer_worker::integer, (peer.has_met_peer_worker is not null)::integer),
            ('peer_support_hours_per_person_year', peer.peer_minutes, peer.days_in_tenancy)
    ) as measures (indicator_code, numerator, denominator)
    where measures.denominator > 0
),

landlord_relations as (
    select
        measures.indicator_code,
        'all' as breakdown,
        tenants.person_key,
        tenants.site,
        tenants.entry_cohort,
        measures.numerator,
        measures.denominator,
        null::date as completed_on
    from {{ ref('fct_landlord_relations') }} as tenants
    cross join lateral ({{ landlord_indicator_measures(
        'tenants', incident_leases='leases_to_incidents_end', claim_leases='leases_to_claims_end'
    ) }}
    ) as measures (indicator_code, numerator, denominator, source)
    where measures.denominator > 0 and measures.source in (select source from {{ ref('int_sources_observed') }})
),

-- income counts only the persons whose pay is known on both days (fct_employment_hours leaves it null otherwise)
employment_hours as (
    select
        measures.indicator_code,
        hours.window_name as breakdown,
        hours.person_key,
        hours.site,
        hours.entry_cohort,
        measures.numerator,
        1 as denominator,
        null::date as completed_on
    from {{ ref('fct_employment_hours') }} as hours
    cross join lateral (
        values
            ('employment_weekly_hours', hours.weekly_hours),
            ('employment_monthly_income', hours.monthly_gross_pay)
    ) as measures (indicator_code, numerator)
    where measures.numerator is not null
),

costs_avoided as (
    select
        'cost_avoided_' || sector as indicator_code,
        'all' as breakdown,
        person_key,
        site,
        entry_cohort,
        cost_avoided as numerator,
        1 as denominator,
        null::date as completed_on
    from {{ ref('fct_costs_avoided') }}
),

person_based as (
    select * from retention
    union all
    select * from referral
    union all
    select * from stably_housed
    union all
    select * from returns
    union all
    select * from service_use
    union all
    select * from employment
    union all
    select * from peer_support
    union all
    select * from landlord_relations
    union all
    select * from employment_hours
    union all
    select * from costs_avoided
),

-- whether each participant is in a partner's records: looked up in the person key index of the two large event
-- tables (macros/incremental_append.sql, byte for byte as that index is), rather than hashing the distinct persons
-- of every row (a million shelter nights at 30k persons: the share's query 0.49 and 0.70 s against 0.81 and 1.00)
linked as (
    select distinct 'justice_events' as source, person_key from {{ ref('stg_justice__events') }}
    union all
    select distinct 'employment_contracts' as source, person_key from {{ ref('stg_employment__contracts') }}
),

linkage as (
    select
        'dq_participants_linked' as indicator_code,
        sources.source as breakdown,
        entries.person_key,
        entries.site,
        entries.entry_cohort,
        (case sources.source
            when 'health_encounters' then exists (
                select from {{ ref('stg_health__encounters') }} as events
                where events.person_key = entries.person_key collate "C"
            )
            when 'shelter_nights' then exists (
                select from {{ ref('stg_shelter__nights') }} as nights
                where nights.person_key = entries.person_key collate "C"
            )
            else linked.person_key is not null
        end)::integer as numerator,
        1 as denominator,
        null::date as completed_on,
        to_char(sources.observed_to, 'YYYY-MM-DD') as period
    from {{ ref('int_participants_entered') }} as entries
    inner join {{ ref('int_sources_observed') }} as sources
        on sources.source in ('health_encounters', 'justice_events', 'employment_contracts', 'shelter_nights')
    left join linked on sources.source = linked.source and entries.person_key = linked.person_key
)

select
    indicator_code,
    period,
    breakdown,
    person_key,
    site,
    entry_cohort,
    numerator,
    denominator,
    {{ quarter_label('completed_on') }} as completed_quarter
from (
    select *, null::text as period from person_based
    union all
    select * from linkage
) as contributions
