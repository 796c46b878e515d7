{#
  What the landlords' incidents and guarantee-fund claims add up to, as aggregates over rows of
  stg_landlords__incidents and stg_landlords__guarantee_claims: shared by the measures over the whole
  observation (fct_landlord_relations) and by reporting quarter (fct_landlord_relation_quarters), so that a
  quarter's incidents and claims are counted as the whole observation's are.
#}

{#
  Incidents, those answered with the days to their first response, and those resolved with the days to their
  resolution. An incident resolved without a first-response date was answered by its resolution at the latest
  (the contract holds a response to no later than the resolution): it is answered, not left out as unanswered.
#}
{% macro incident_measures() -%}
    count(*) as incidents,
    count(coalesce(responded_date, resolved_date)) as incidents_responded,
    sum(coalesce(responded_date, resolved_date) - reported_date) as days_to_respond,
    count(resolved_date) as incidents_resolved,
    sum(resolved_date - reported_date) as days_to_resolve
{%- endmacro %}

{# Claims and the amount claimed, whatever the decision; those paid and the amount paid. #}
{% macro claim_measures() -%}
    count(*) as claims,
    sum(amount) as amount_claimed,
    count(*) filter (where status = 'payee') as claims_paid,
    sum(amount) filter (where status = 'payee') as amount_paid
{%- endmacro %}

{#
  The columns of a tenant's row (fct_landlord_relations, fct_landlord_relation_quarters) from the incident_measures
  and claim_measures rows joined as `incidents` and `claims`: none joined is none counted.
#}
{% macro relation_columns() -%}
    coalesce(incidents.incidents, 0)::integer as incidents,
    coalesce(incidents.incidents_responded, 0)::integer as incidents_responded,
    coalesce(incidents.days_to_respond, 0)::integer as days_to_respond,
    coalesce(incidents.incidents_resolved, 0)::integer as incidents_resolved,
    coalesce(incidents.days_to_resolve, 0)::integer as days_to_resolve,
    coalesce(claims.claims, 0)::integer as claims,
    coalesce(claims.amount_claimed, 0)::numeric(12, 2) as amount_claimed,
    coalesce(claims.claims_paid, 0)::integer as claims_paid,
    coalesce(claims.amount_paid, 0)::numeric(12, 2) as amount_paid
{%- endmacro %}

{#
  Each landlord indicator's numerator and denominator from a row of fct_landlord_relations (a tenant over the
  whole observation) or of fct_landlord_relation_quarters (a tenant in a quarter), aliased `row`: a lateral
  VALUES list of (indicator_code, numerator, denominator, source), source the landlords' file it reads besides
  the leases: a tenant's 0 claims with no claims file ever loaded is no measure, its cells are left out. The
  incidents and the claims are set against the row's `incident_leases` and `claim_leases` columns: the leases
  started (over the whole observation) or running in the quarter by that file's end, up to which its incidents
  or claims are counted.
#}
{% macro landlord_indicator_measures(row, incident_leases, claim_leases) -%}
    values
        ('landlord_incidents_per_100_tenancies', {{ row }}.incidents::numeric, {{ row }}.{{ incident_leases }}, 'landlord_incidents'),
        ('landlord_incident_response_days', {{ row }}.days_to_respond, {{ row }}.incidents_responded, 'landlord_incidents'),
        ('landlord_incident_resolution_days', {{ row }}.days_to_resolve, {{ row }}.incidents_resolved, 'landlord_incidents'),
        ('landlord_guarantee_claims_per_100_tenancies', {{ row }}.claims, {{ row }}.{{ claim_leases }}, 'landlord_guarantee_claims'),
        ('landlord_guarantee_amount_claimed', {{ row }}.amount_claimed, {{ row }}.claims, 'landlord_guarantee_claims'),
        ('landlord_guarantee_amount_paid', {{ row }}.amount_paid, {{ row }}.claims_paid, 'landlord_guarantee_claims'),
        ('landlord_leases_converted_share', {{ row }}.leases_converted, {{ row }}.leases, 'landlord_leases')
{%- endmacro %}

{#
  The end of observation of the landlord indicators by reporting quarter: the earliest of the housing data's, the
  leases file's (the tenancies, every measure's denominator) and, given a `source`, that landlord file's
  (observation_end_of). Each measure stops at its own file: a quarter the incidents file does not cover yet would
  count its tenancies as free of incidents, but a claims file sent late holds up no incident, nor a late incidents
  file any claim; the leases' conversions and the partner landlords by quarter (fct_lease_quarters) wait on the
  leases alone. A file never sent holds nothing up for good: the indicators reading it publish no cell
  (landlord_indicator_measures).
#}
{% macro landlord_observation_end(source=none) -%}
    {{ observation_end_of(['landlord_leases'], optional=[source] if source else []) }}
{%- endmacro %}

{# The quarter of the leases' end of observation, a one-value select (fct_lease_quarters' latest quarter). #}
{% macro landlord_observation_quarter() -%}
    {{ observation_quarter_of(['landlord_leases']) }}
{%- endmacro %}

{#
  The ends up to which the leases and their conversions, the incidents and the claims are counted
  (landlord_observation_end of the leases and of each file), one row of leases_end, incidents_end and claims_end:
  over the whole observation (fct_landlord_relations) as by quarter (fct_lease_quarters runs the leases to
  leases_end; fct_landlord_relation_quarters), so that a tenant's totals are the sum of their quarters.
#}
{% macro landlord_file_ends() -%}
    select
        leases.observation_end as leases_end,
        incidents.observation_end as incidents_end,
        claims.observation_end as claims_end
    from ({{ landlord_observation_end() }}) as leases
    cross join ({{ landlord_observation_end('landlord_incidents') }}) as incidents
    cross join ({{ landlord_observation_end('landlord_guarantee_claims') }}) as claims
{%- endmacro %}

{# The quarter of the earliest of those ends (fct_landlord_relation_quarters' latest complete one), one value. #}
{% macro landlord_file_ends_quarter() -%}
    select least(
        {{ quarter_label('ends.leases_end') }}, {{ quarter_label('ends.incidents_end') }}, {{ quarter_label('ends.claims_end') }}
    )
    from ({{ landlord_file_ends() }}) as ends
{%- endmacro %}
