{#
  A person may hold two programme tenancies at once (a second site, a move recorded with a day of overlap): a
  tenancy ended while another of the person's still runs that day is no programme exit, the person is still housed.
#}

{#
  True when another tenancy of the same person, in `tenancies_relation`, runs on `tenancy`'s end day; with
  `unless_ended_by`, never for a tenancy that ended with that reason (a death ends the stay whatever else runs).
  Conditions on `tenancy` alone belong here, inside the EXISTS, not in an OR around it: PostgreSQL then plans a
  hash (anti-)join, where `reason = 'x' or not exists (...)` re-scans the tenancies for each one (quadratic).
#}
{% macro another_tenancy_runs_on_its_end(tenancy, tenancies_relation, unless_ended_by=none) -%}
    exists (
        select 1
        from {{ tenancies_relation }} as other
        where
            other.person_key = {{ tenancy }}.person_key
            and other.tenancy_ref <> {{ tenancy }}.tenancy_ref
            and other.start_date <= {{ tenancy }}.end_date
            and (other.end_date is null or other.end_date > {{ tenancy }}.end_date)
            {%- if unless_ended_by is not none %}
            and {{ tenancy }}.exit_reason is distinct from '{{ unless_ended_by }}'
            {%- endif %}
    )
{%- endmacro %}
