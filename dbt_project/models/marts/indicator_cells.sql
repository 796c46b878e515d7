-- Every indicator cell before disclosure control: those summed over persons and files, and those that are not
-- sums over persons (tenants' voice, landlords, costs, funders). Two models built side by side after the
-- contributions, on dbt's two threads, rather than one after the other; this union is some ten thousand rows.
select * from {{ ref('summed_indicator_cells') }}
union all
select * from {{ ref('aggregate_indicator_cells') }}
