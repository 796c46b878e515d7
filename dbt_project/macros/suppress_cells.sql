{#
  Disclosure control on cells in the long shape (indicator_code, period, breakdown, site, cohort, persons, ...),
  where 'all' marks a total. Primary: every cell under min_cell_persons is suppressed. Complementary: a line
  (one site across cohorts, or one cohort across sites) whose total is published must not hold exactly one
  suppressed member, else total minus the others reveals it; the smallest other member is suppressed too.
  A cohort may also be a year ('YYYY') whose cell sums that year's quarters ('YYYY-Qn') at the same site: the
  quarters then form their own line under the year cell, and the year cell stands in for them in the site's
  line under 'all' (nested lines), so neither the year nor the site total gives a suppressed quarter away.
  A year cell is a site line's complement only when no quarter is left to take: it then counts as hidden in its
  own line, whose smallest quarter goes too, else the year would be the sum of its shown quarters.
  A person-based indicator's cells by reporting quarter ('YYYY-Qn' periods, cohort 'all') form a third line at
  each site, whose total is the site's cell over the whole observation (the quarters sum to it), so neither a
  quarter nor the whole gives a hidden one away.
  Lines along the three dimensions are passed over four times each, since a complementary cell can open another.
  A cell whose persons is null counts no persons (rows of a file, say) and is never suppressed for its size.
  suppression_reason tells readers why a cell is hidden: 'small_cell' (too few persons) or 'complementary'.
#}
{% macro suppress_cells(relation) -%}
{%- set cell_columns = 'indicator_code, period, site, cohort, breakdown, numerator, denominator, value, persons' %}
{#- (line, member, 1 when the line's total is hidden: only a year's can be, its quarters being then open,
    what goes first among the complements: in a site's line, quarters before years, whose cells are shown) #}
{%- set year_hidden -%}
    case when cohort_line <> 'all' and bool_or(is_suppressed and cohort ~ '^[0-9]{4}$') over (
        partition by indicator_code, period, breakdown, site, left(cohort, 4)
    ) then 1 else 0 end
{%- endset %}
{%- set passes = [
    ('period, site, cohort_line', 'cohort', year_hidden, "cohort ~ '^[0-9]{4}$', "),
    ('period, cohort', 'site', '0', ''),
    ('site, cohort, period_line', 'period_member', '0', ''),
] * 4 %}
with pass_0 as (
    select
        {{ cell_columns }},
        -- the line a cohort sits in at its site: its year's when that year has a cell, else the site's 'all'
        case
            when
                cohort ~ '^[0-9]{4}-'
                and bool_or(cohort ~ '^[0-9]{4}$') over (
                    partition by indicator_code, period, breakdown, site, left(cohort, 4)
                )
                then left(cohort, 4)
            else 'all'
        end as cohort_line,
        -- the line a period sits in: a site's quarters and its whole-observation total; any other cell is alone
        case
            when cohort = 'all' and bool_or(period ~ '^[0-9]{4}-Q[1-4]$') over (
                partition by indicator_code, breakdown, site, cohort
            )
                then 'quarters'
            else period
        end as period_line,
        case when period ~ '^[0-9]{4}-Q[1-4]$' then period else 'all' end as period_member,
        coalesce(persons < {{ var('min_cell_persons') }}, false) as is_small,
        coalesce(persons < {{ var('min_cell_persons') }}, false) as is_suppressed
    from {{ relation }}
),
{%- for line, member, total_hidden, first in passes %}

pass_{{ loop.index }} as (
    select
        {{ cell_columns }},
        cohort_line,
        period_line,
        period_member,
        is_small,
        is_suppressed or ({{ member }} <> 'all' and suppressed_in_line = 1 and open_rank = 1) as is_suppressed
    from (
        select
            *,
            count(*) filter (where is_suppressed and {{ member }} <> 'all')
                over (partition by indicator_code, breakdown, {{ line }})
            + {{ total_hidden }} as suppressed_in_line,
            row_number() over (
                partition by indicator_code, breakdown, {{ line }}, {{ member }} = 'all', is_suppressed
                order by {{ first }}persons, {{ member }}
            ) as open_rank
        from pass_{{ loop.index0 }}
    ) as ranked
){{ ',' if not loop.last }}
{%- endfor %}

select {{ published_cell_columns() }}
from pass_{{ passes | length }}
{%- endmacro %}

{# A cell as published, from its `is_small` and `is_suppressed` flags: a hidden cell keeps only its keys. #}
{% macro published_cell_columns() -%}
    indicator_code,
    period,
    site,
    cohort,
    breakdown,
    case when not is_suppressed then numerator end as numerator,
    case when not is_suppressed then denominator end as denominator,
    case when not is_suppressed then value end as value,
    case when not is_suppressed then persons end as persons,
    is_suppressed as suppressed,
    case when is_small then 'small_cell' when is_suppressed then 'complementary' end as suppression_reason
{%- endmacro %}
