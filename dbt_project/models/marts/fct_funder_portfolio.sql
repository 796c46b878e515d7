-- Each funder's portfolio: what its conventions commit and have paid, per sector, site and year, with the cost
-- sector (health, justice, shelter) whose avoided costs its own sector is set against, where there is one.
select
    conventions.funder_code,
    funders.funder_name,
    funders.funder_kind,
    conventions.sector,
    case conventions.sector
        when 'sante' then 'health'
        when 'justice' then 'justice'
        when 'hebergement' then 'shelter'
    end as cost_sector,
    conventions.site,
    conventions.year::integer as year,
    count(*)::integer as convention_lines,
    sum(conventions.committed_amount)::numeric(14, 2) as committed,
    sum(coalesce(conventions.paid_amount, 0))::numeric(14, 2) as paid
from {{ ref('stg_finance__conventions') }} as conventions
left join {{ ref('stg_finance__funders') }} as funders on conventions.funder_code = funders.funder_code
group by
    conventions.funder_code,
    funders.funder_name,
    funders.funder_kind,
    conventions.sector,
    conventions.site,
    conventions.year
