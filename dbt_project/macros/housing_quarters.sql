{#
  What fct_housing_quarters observes beyond each person, one row: the ends of the shelter data and of the support
  contacts file (each no later than the housing data's, observation_end_of; null before its first extract), the
  shelter's earliest night (a move on is followed from there), and the first day not observed by all three,
  `complete_until` (null while the shelter or the contacts have sent nothing).
#}
{% macro housing_quarters_observation() -%}
    select
        shelter.observation_end as shelter_end,
        contacts.observation_end as contacts_end,
        history.observed_from as shelter_followed_from,
        case when shelter.observation_end is not null and contacts.observation_end is not null
            then least(shelter.observation_end, contacts.observation_end) + 1 end as complete_until
    from (select) as one_row
    left join ({{ observation_end_of(['shelter_nights']) }}) as shelter on true
    left join ({{ observation_end_of(['housing_support_contacts']) }}) as contacts on true
    left join {{ ref('int_sources_observed') }} as history on history.source = 'shelter_nights'
{%- endmacro %}

{#
  The first quarter a refresh of fct_housing_quarters recomputes for every person (its `since`): a new month moves
  the ends, which change only the quarters from the one holding the earlier of the first days the build before
  and this one did not observe whole (held on the rows of its last day's quarter and after: the rows before it are
  the same whichever later build made them); a shelter history starting on another night changes which moves on
  are followed, and a first extract of the shelter or the contacts every day observed: every quarter then ('').
#}
{% macro housing_quarters_since() -%}
    select case
        when held.followed_from_kept and held.complete_until is not null and now.complete_until is not null
            then {{ quarter_label('least(held.complete_until, now.complete_until) - 1') }}
        else ''
    end
    from ({{ housing_quarters_observation() }}) as now
    cross join lateral (
        select
            min(complete_until) as complete_until,
            bool_and(shelter_followed_from is not distinct from now.shelter_followed_from) as followed_from_kept
        from {{ this }}
    ) as held
{%- endmacro %}
