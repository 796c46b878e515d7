{#
  Post-hook of every staging, intermediate and mart model (dbt_project.yml): the statistics the next models' plans
  read. A table built whole has none and is analyzed. An incremental refresh writes a few percent of its table,
  and analysing it again (a sample of 30,000 rows: 0.4 to 0.7 s for each large event table and mart at 30k
  persons) changes no plan: it is analyzed when this build's writes reach a tenth of it, autovacuum's threshold;
  smaller ones add up until autovacuum analyzes it. Between two analyses the planner scales its row count from
  its pages. (The rows written since its last analysis would count a build's writes twice: those of the build
  that analyzed it are added after its analysis.)
#}
{% macro analyze_table() -%}
    {%- if is_incremental() %}
    do $analyze$ begin
        if (
            select
                pg_stat_get_xact_tuples_inserted(oid) + pg_stat_get_xact_tuples_updated(oid)
                + pg_stat_get_xact_tuples_deleted(oid) > 0.1 * greatest(reltuples, 0) + 50
            from pg_class
            where oid = '{{ this }}'::regclass
        ) then
            analyze {{ this }};
        end if;
    end $analyze$
    {%- else %}
    analyze {{ this }}
    {%- endif %}
{%- endmacro %}
