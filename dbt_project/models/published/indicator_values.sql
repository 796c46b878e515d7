-- The only indicator table dashboards and extracts read: every cell after disclosure control.
with published as (
    {{ suppress_cells(ref('indicator_cells')) }}
)

select * from published
order by indicator_code, period, site, cohort, breakdown
