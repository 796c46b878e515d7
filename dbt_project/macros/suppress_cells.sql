{#
  Disclosure control on cells in the long shape (indicator_code, period, breakdown, site, cohort, persons, ...),
  where 'all' marks a total. Primary: every cell under min_cell_persons is suppressed. Complementary: a line
  (one site across cohorts, or one cohort across sites) whose total is published must not hold exactly one
  suppressed member, else total minus the others reveals it; the smallest other member is suppressed too.
  Lines along both dimensions are passed over twice, since a complementary cell can open another line.
  A cell whose persons is null counts no persons (rows of a file, say) and is never suppressed for its size.
  suppression_reason tells readers why a cell is hidden: 'small_cell' (too few persons) or 'complementary'.
#}
{% macro suppress_cells(relation) -%}
{%- set cell_columns = 'indicator_code, period, site, cohort, breakdown, numerator, denominator, value, persons' %}
{%- set passes = [('site', 'cohort'), ('cohort', 'site'), ('site', 'cohort'), ('cohort', 'site')] %}
with pass_0 as (
    select
        {{ cell_columns }},
        coalesce(persons < {{ var('min_cell_persons') }}, false) as is_small,
        coalesce(persons < {{ var('min_cell_persons') }}, false) as is_suppressed
    from {{ relation }}
),
{%- for line, member in passes %}

pass_{{ loop.index }} as (
    select
        {{ cell_columns }},
        is_small,
        is_suppressed or ({{ member }} <> 'all' and suppressed_in_line = 1 and open_rank = 1) as is_suppressed
    from (
        select
            *,
            count(*) filter (where is_suppressed and {{ member }} <> 'all')
                over (partition by indicator_code, period, breakdown, {{ line }}) as suppressed_in_line,
            row_number() over (
                partition by indicator_code, period, breakdown, {{ line }}, {{ member }} = 'all', is_suppressed
                order by persons, {{ member }}
            ) as open_rank
        from pass_{{ loop.index0 }}
    ) as ranked
){{ ',' if not loop.last }}
{%- endfor %}

select
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
from pass_{{ passes | length }}
{%- endmacro %}
