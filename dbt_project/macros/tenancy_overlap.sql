{#
  A person may hold two programme tenancies at once (a second site, a move recorded with a day of overlap): a
  tenancy ended while another of the person's still runs that day is no programme exit, the person is still housed.
#}

{# True when another tenancy of the same person, in `tenancies_relation`, runs on `tenancy`'s end day. #}
{% macro another_tenancy_runs_on_its_end(tenancy, tenancies_relation) -%}
    exists (
        select 1
        from {{ tenancies_relation }} as other
        where
            other.person_key = {{ tenancy }}.person_key
            and other.tenancy_ref <> {{ tenancy }}.tenancy_ref
            and other.start_date <= {{ tenancy }}.end_date
            and (other.end_date is null or other.end_date > {{ tenancy }}.end_date)
    )
{%- endmacro %}
