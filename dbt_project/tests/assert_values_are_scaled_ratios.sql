-- A cell with a numerator and a non-zero denominator has a value and, when its indicator has a catalogue scale,
-- that value is numerator / denominator * scale: dashboards recompute the value shown from these. Allowed: the
-- published rounding to 4 decimals, plus what rounding the numerator and denominator to whole numbers for
-- publication (euros, hours) moves the ratio, at most 0.5 * (d + |n|) / (d * (d - 0.5)).
-- Dagster shows it as a check of indicator_cells (a singular test of two models needs telling which).
{{ config(meta={'dagster': {'ref': {'name': 'indicator_cells'}}}) }}

select cells.*, catalogue.scale
from {{ ref('indicator_cells') }} as cells
left join {{ ref('indicator_catalogue') }} as catalogue on cells.indicator_code = catalogue.indicator_code
where
    cells.numerator is not null
    and cells.denominator <> 0
    and (
        cells.value is null
        or abs(cells.numerator::numeric / cells.denominator * catalogue.scale - cells.value)
        > 0.00005 + catalogue.scale * 0.5 * (cells.denominator + abs(cells.numerator))
        / (cells.denominator * (cells.denominator - 0.5))
    )
