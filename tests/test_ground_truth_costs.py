"""The ground truth's programme cost and funders' cost-offset ratios on a small hand-made truth, where the
sample's conventions (every sector funded at every site from the programme's start) cannot tell."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from tests.ground_truth import Truth, _aggregate_cells

END = date(2025, 12, 31)
CONVENTIONS = (  # funder, sector, site, year, committed
    # Lille is funded from 2018, its health only from 2026 (F); Lyon from 2019 (G), its health only in 2024 and
    # 2025 (F, and E in 2025), its justice from 2026 (D)
    ("H", "logement", "Lille", 2018, "1000.00"),
    ("F", "sante", "Lille", 2026, "100000.00"),
    *(("G", "logement", "Lyon", year, "50000.00") for year in range(2019, 2026)),
    ("F", "sante", "Lyon", 2024, "100000.00"),
    ("F", "sante", "Lyon", 2025, "100000.00"),
    ("E", "sante", "Lyon", 2025, "50000.00"),
    ("D", "justice", "Lyon", 2026, "50000.00"),
)


def _truth(directory: Path, conventions: tuple[tuple, ...] = CONVENTIONS) -> Truth:
    for name in ("survey_responses", "council_sessions", "leases", "pfp_clauses"):
        (directory / f"{name}.csv").write_text("site\n", encoding="utf-8")
    with (directory / "conventions.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("funder_code", "sector", "site", "year", "committed", "paid"))
        writer.writerows((*line, "0.00") for line in conventions)
    # Lyon's two tenants are housed before its first convention, Lille's one; Paris's one has no convention at all
    housed_since = date(2018, 1, 1)
    sites = {1: "Lyon", 2: "Lyon", 3: "Lille", 4: "Paris"}
    return Truth(
        observation_end=END,
        observed_to={},
        participants=[(f"P{n}", f"p{n}", site, None, housed_since) for n, site in sites.items()],
        tenancies=[(f"T{n}", f"p{n}", housed_since, None, "") for n in sites],
        events={"health_encounters": []},  # no hospital stay: no death reported by the hospital
        rows_read={},
        rows_quarantined={},
        truth_dir=directory,
    )


def test_a_commitment_is_set_against_the_days_housed_in_the_years_committed(tmp_path: Path) -> None:
    """F's 200,000 euros of 2024-2025 are spread over the days housed in those two years, not since 2019 (when
    G's convention started) nor 2018 (Lille's), E's 50,000 of 2025 over 2025's: the health costs avoided are
    shared year by year pro rata to what each commits (F all of 2024's, two thirds of 2025's; E a third of
    2025's), not as if both had funded both years (which gave both one ratio); F's all-sites ratio
    is Lyon's, its Lille convention starting next year (Lille's avoided costs and persons no part of it: 3
    persons and two thirds of the value on the old ground truth). The programme's cost is set against the years
    Lyon's funders committed something (2019 on). D's justice convention starts next year: no one in the sector
    has committed anything yet, no ratio at Lyon (a ZeroDivisionError on an older ground truth, an empty value in
    the warehouse), and no all-sites cell."""
    contributions = [
        (f"cost_avoided_{sector}", "p", "all", person, site, "2018-Q1", amount, 1)
        for sector, amounts in (("health", (6000, 4000, 50000)), ("justice", (100, 100, 100)))
        for person, site, amount in zip(("p1", "p2", "p3"), ("Lyon", "Lyon", "Lille"), amounts, strict=True)
    ]
    cells = _aggregate_cells(_truth(tmp_path), contributions)
    period = END.isoformat()
    days_2024, days_2025 = (2 * (date(year + 1, 1, 1) - date(year, 1, 1)).days for year in (2024, 2025))
    # each funder's avoided costs per person-year credited over its days, against its commitment per person-year
    credited_days = {"F": days_2024 + days_2025 * 100_000 / 150_000, "E": days_2025 * 50_000 / 150_000}
    committed = {"F": 200_000, "E": 50_000}
    for funder in ("F", "E"):
        for site in ("Lyon", "all"):
            health = cells[("funder_cost_offset_ratio", period, site, "all", f"{funder}:sante")]
            expected = 5000 * credited_days[funder] / (committed[funder] * 365.25)
            assert (health.value, health.persons) == (pytest.approx(expected), 2)
    lille = cells[("funder_cost_offset_ratio", period, "Lille", "all", "F:sante")]
    assert (lille.value, lille.persons) == (None, 1)
    justice = cells[("funder_cost_offset_ratio", period, "Lyon", "all", "D:justice")]
    assert (justice.value, justice.persons) == (None, 2)
    assert ("funder_cost_offset_ratio", period, "all", "all", "D:justice") not in cells
    days_since_2019 = 2 * (date(2026, 1, 1) - date(2019, 1, 1)).days
    programme = cells[("cost_programme_per_person_year", period, "Lyon", "all", "all")]
    assert (programme.numerator, programme.denominator) == (600_000, days_since_2019)
    assert programme.value == pytest.approx(600_000 * 365.25 / days_since_2019)


def test_a_funders_all_sites_ratio_counts_its_money_at_a_site_nobody_is_observed_at_yet(tmp_path: Path) -> None:
    """F also commits 100,000 euros to health at Lille in 2025, and C 10,000 to justice there, where nobody is
    observed a year after entry yet (no costs avoided): neither has a ratio at Lille. F's all-sites ratio sets
    Lyon's avoided costs against all its money, Lille's and its 365 days housed in 2025 included, as the
    programme's all-sites cost counts them (on the old ground truth it was Lyon's ratio); C has no ratio at all."""
    new_site = (("F", "sante", "Lille", 2025, "100000.00"), ("C", "justice", "Lille", 2025, "10000.00"))
    contributions = [
        ("cost_avoided_health", "p", "all", person, "Lyon", "2018-Q1", amount, 1)
        for person, amount in (("p1", 6000), ("p2", 4000))
    ]
    cells = _aggregate_cells(_truth(tmp_path, CONVENTIONS + new_site), contributions)
    period = END.isoformat()
    days_2024, days_2025 = (2 * (date(year + 1, 1, 1) - date(year, 1, 1)).days for year in (2024, 2025))
    credited = 10_000 * (days_2024 + days_2025 * 100_000 / 150_000) / (days_2024 + days_2025)  # Lyon's, F's share
    lyon = cells[("funder_cost_offset_ratio", period, "Lyon", "all", "F:sante")]
    assert lyon.value == pytest.approx(credited / 2 / (200_000 * 365.25 / (days_2024 + days_2025)))
    every_site = cells[("funder_cost_offset_ratio", period, "all", "all", "F:sante")]
    expected = credited / 2 / (300_000 * 365.25 / (days_2024 + days_2025 + 365))
    assert (every_site.value, every_site.persons) == (pytest.approx(expected), 2)
    assert not {key for key in cells if key[0] == "funder_cost_offset_ratio" and key[2] == "Lille"}
    assert not {key for key in cells if key[0] == "funder_cost_offset_ratio" and key[4] == "C:justice"}


def test_the_programmes_all_sites_cells_cover_only_the_sites_with_a_programme_cost(tmp_path: Path) -> None:
    """Paris has no convention: it has no cost cell, and its person and avoided costs are no part of the
    all-sites cells, which set Lyon's and Lille's avoided costs against their programme cost (on the old ground
    truth the all-sites cells counted 4 persons and Paris's 90,000 avoided)."""
    amounts = {"p1": 3000, "p2": 1000, "p3": 2000, "p4": 90000}
    sites = {"p1": "Lyon", "p2": "Lyon", "p3": "Lille", "p4": "Paris"}
    contributions = [
        (f"cost_avoided_{sector}", "p", "all", person, sites[person], "2018-Q1", amount, 1)
        for sector in ("health", "justice", "shelter")
        for person, amount in amounts.items()
    ]
    cells = _aggregate_cells(_truth(tmp_path), contributions)
    period = END.isoformat()
    lyon_days = 2 * (date(2026, 1, 1) - date(2019, 1, 1)).days  # 2019 to 2025, two tenants
    lille_days = (date(2019, 1, 1) - date(2018, 1, 1)).days  # H's 2018 (F's Lille convention starts in 2026)
    programme_per_year = (600_000 + 1_000) * 365.25 / (lyon_days + lille_days)
    avoided_per_year = 3 * (3000 + 1000 + 2000) / 3  # three sectors, each 6,000 over Lyon's and Lille's 3 persons
    key = (period, "all", "all", "all")
    programme = cells[("cost_programme_per_person_year", *key)]
    assert (programme.numerator, programme.denominator, programme.persons) == (601_000, lyon_days + lille_days, 3)
    assert programme.value == pytest.approx(programme_per_year)
    net, ratio = cells[("cost_net_per_person_year", *key)], cells[("cost_offset_ratio", *key)]
    assert (net.value, net.persons) == (pytest.approx(programme_per_year - avoided_per_year), 3)
    assert (ratio.value, ratio.persons) == (pytest.approx(avoided_per_year / programme_per_year), 3)
    paris = (period, "Paris", "all", "all")
    assert not {code for code, *key in cells if tuple(key) == paris and code.startswith("cost_")}
