-- The only indicator table dashboards and extracts read: every cell after disclosure control.
{{ suppress_cells(ref('indicator_cells')) }}
