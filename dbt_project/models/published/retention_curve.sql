-- The Kaplan-Meier curve of time housed, after disclosure control: a month is hidden for a site when fewer than
-- min_cell_persons are at risk, and when exactly one site is hidden in a month whose all-sites row is shown, the
-- smallest other site is hidden too, so the total cannot reveal it.
with cells as (
    select *, at_risk < {{ var('min_cell_persons') }} as is_small
    from {{ ref('retention_curve_cells') }}
),

ranked as (
    select
        *,
        count(*) filter (where is_small and site <> 'all') over (partition by period, time_months) as small_sites,
        bool_or(site = 'all' and not is_small) over (partition by period, time_months) as is_total_shown,
        row_number() over (
            partition by period, time_months, site = 'all', is_small order by at_risk, site
        ) as open_rank
    from cells
),

suppressed as (
    select
        *,
        is_small or (site <> 'all' and not is_small and small_sites = 1 and is_total_shown and open_rank = 1)
            as is_suppressed
    from ranked
)

select
    period,
    site,
    time_months,
    case when not is_suppressed then at_risk end as at_risk,
    case when not is_suppressed then events end as events,
    case when not is_suppressed then survival end as survival,
    is_suppressed as suppressed,
    -- why, as for indicator cells: too few at risk, or hidden so that the all-sites row does not give a small one away
    case when is_small then 'small_cell' when is_suppressed then 'complementary' end as suppression_reason
from suppressed
order by period, site, time_months
