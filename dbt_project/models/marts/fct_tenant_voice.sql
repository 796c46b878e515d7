-- Tenants' voice per site and calendar quarter: answers to the anonymous survey (sums of scores and number of
-- answers per question, satisfaction 1-5 and quality of life 0-10) and the tenant council sessions held and the
-- actions they decided (over the sessions whose minutes give a number of actions: one without it decided an
-- unknown number, not none). The survey carries no person key: a response is the unit, one per tenant and quarter.
with responses as (
    select
        site,
        quarter,
        count(*) as responses,
        count(satisfaction_housing) as satisfaction_housing_answers,
        sum(satisfaction_housing) as satisfaction_housing_sum,
        count(satisfaction_support) as satisfaction_support_answers,
        sum(satisfaction_support) as satisfaction_support_sum,
        count(quality_of_life) as quality_of_life_answers,
        sum(quality_of_life) as quality_of_life_sum
    from {{ ref('stg_survey__responses') }}
    group by site, quarter
),

sessions as (
    select
        site,
        {{ quarter_label('session_date') }} as quarter,
        count(*) as sessions,
        sum(attendees) as attendees,
        count(actions_decided) as sessions_with_actions,
        sum(actions_decided) as actions_decided
    from {{ ref('stg_tenants__council_sessions') }}
    group by 1, 2
),

quarters as (
    select
        coalesce(responses.site, sessions.site) as site,
        coalesce(responses.quarter, sessions.quarter) as quarter,
        responses.responses,
        responses.satisfaction_housing_answers,
        responses.satisfaction_housing_sum,
        responses.satisfaction_support_answers,
        responses.satisfaction_support_sum,
        responses.quality_of_life_answers,
        responses.quality_of_life_sum,
        sessions.sessions,
        sessions.attendees,
        sessions.sessions_with_actions,
        sessions.actions_decided
    from responses
    full outer join sessions on responses.site = sessions.site and responses.quarter = sessions.quarter
)

select
    site,
    quarter,
    (make_date(split_part(quarter, '-Q', 1)::int, split_part(quarter, '-Q', 2)::int * 3, 1)
        + interval '1 month' - interval '1 day')::date as quarter_end,
    coalesce(responses, 0)::integer as responses,
    coalesce(satisfaction_housing_answers, 0)::integer as satisfaction_housing_answers,
    coalesce(satisfaction_housing_sum, 0)::integer as satisfaction_housing_sum,
    coalesce(satisfaction_support_answers, 0)::integer as satisfaction_support_answers,
    coalesce(satisfaction_support_sum, 0)::integer as satisfaction_support_sum,
    coalesce(quality_of_life_answers, 0)::integer as quality_of_life_answers,
    coalesce(quality_of_life_sum, 0)::integer as quality_of_life_sum,
    coalesce(sessions, 0)::integer as council_sessions,
    coalesce(attendees, 0)::integer as council_attendees,
    coalesce(sessions_with_actions, 0)::integer as council_sessions_with_actions,
    coalesce(actions_decided, 0)::integer as council_actions
from quarters
