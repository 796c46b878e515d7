{#
  The last day a measure reading the housing data and each of `sources` (as int_sources_observed names them)
  observes: the earliest of their ends, a one-row select of observation_end. Partners send monthly and late: a
  source a month behind holds none of that month's events yet, and a window running into it would count them as
  none (no return, no shelter night), the indicator looking better exactly while a partner is late. No row before
  each source's first extract is loaded (inner joins: least() passes over a null, so a source never loaded would
  leave the others' end alone). A source in `optional` ends it too once loaded, and holds nothing up before: for
  measures that go on without it, the cells reading it published only once it is loaded.
#}
{% macro observation_end_of(sources, optional=[]) -%}
    select least(housing.observation_end{% for name in sources + optional %}, {{ name }}.observed_to{% endfor %}) as observation_end
    from {{ ref('int_observation_windows') }} as housing
    {%- for name in sources %}
    inner join {{ ref('int_sources_observed') }} as {{ name }} on {{ name }}.source = '{{ name }}'
    {%- endfor %}
    {%- for name in optional %}
    left join {{ ref('int_sources_observed') }} as {{ name }} on {{ name }}.source = '{{ name }}'
    {%- endfor %}
{%- endmacro %}

{# The quarter of observation_end_of(`sources`), a one-value select: a mart by quarter's latest (person_changes.sql). #}
{% macro observation_quarter_of(sources) -%}
    select {{ quarter_label('ends.observation_end') }} from ({{ observation_end_of(sources) }}) as ends
{%- endmacro %}
