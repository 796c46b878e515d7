{#
  Calendar-month date math shared by the housing, employment and service-use models. A horizon of m months
  after `start` is `start + m months` as PostgreSQL adds months: the same day of the month, or the last day of
  a shorter month (29 February plus 12 months is 28 February).
#}

{# The date `months` calendar months after `start` (before it when negative). #}
{% macro add_months(start, months) -%}
    ({{ start }} + make_interval(months => {{ months }}))::date
{%- endmacro %}

{# Months from the month of `start` to the month of `day`, ignoring the days. #}
{% macro month_span(start, day) -%}
    ((extract(year from {{ day }})::int - extract(year from {{ start }})::int) * 12
        + extract(month from {{ day }})::int - extract(month from {{ start }})::int)
{%- endmacro %}

{# Completed months: the largest m such that start + m months <= day (0 when day is in the first month). #}
{% macro completed_months(start, day) -%}
    ({{ month_span(start, day) }}
        - case when {{ add_months(start, month_span(start, day)) }} > {{ day }} then 1 else 0 end)
{%- endmacro %}

{# Months reached: the smallest m such that start + m months >= day (the first checkpoint on or after day). #}
{% macro months_reached(start, day) -%}
    ({{ month_span(start, day) }}
        + case when {{ add_months(start, month_span(start, day)) }} < {{ day }} then 1 else 0 end)
{%- endmacro %}

{# The calendar quarter of `day` as entry cohorts and reporting quarters name it: 'YYYY-Qn'. #}
{% macro quarter_label(day) -%}
    extract(year from {{ day }})::int || '-Q' || extract(quarter from {{ day }})::int
{%- endmacro %}

{# The first day of the quarter a 'YYYY-Qn' label names (null for null). #}
{% macro quarter_start(label) -%}
    make_date(split_part({{ label }}, '-Q', 1)::int, split_part({{ label }}, '-Q', 2)::int * 3 - 2, 1)
{%- endmacro %}
