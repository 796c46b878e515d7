{#
  Days covered by possibly overlapping episodes, each day counted once: `relation` holds one row per episode
  with `start_day` (first day) and `end_day` (day after the last, exclusive) and the `partition_by` columns;
  returns one row per partition with `covered_days`. Overlapping or touching episodes are merged into islands
  (gaps and islands), so two hospital stays sharing a week count that week once.
#}
{% macro union_days(relation, partition_by) -%}
{%- set keys = partition_by | join(', ') %}
    select {{ keys }}, sum(island_end - island_start) as covered_days
    from ({{ day_islands(relation, partition_by) }}) as islands
    group by {{ keys }}
{%- endmacro %}

{# The islands themselves, one row per partition and island with `island_start` and `island_end` (exclusive):
   disjoint, so the days of any period they cover are the sum of each one's overlap with it. #}
{% macro day_islands(relation, partition_by) -%}
{%- set keys = partition_by | join(', ') %}
    select {{ keys }}, min(start_day) as island_start, max(end_day) as island_end
    from (
        select
            *,
            count(*) filter (where reached_before is null or start_day > reached_before) over (
                partition by {{ keys }} order by start_day, end_day rows unbounded preceding
            ) as island
        from (
            select
                {{ keys }},
                start_day,
                end_day,
                max(end_day) over (
                    partition by {{ keys }}
                    order by start_day, end_day
                    rows between unbounded preceding and 1 preceding
                ) as reached_before
            from {{ relation }}
            where end_day > start_day
        ) as episodes
    ) as numbered
    group by {{ keys }}, island
{%- endmacro %}
