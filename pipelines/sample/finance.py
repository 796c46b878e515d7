"""Funders of the programme, their multi-year conventions and pay-for-performance clauses.

A convention runs three years for one funder and one site; each year it commits the funder's share of
the programme cost for the person-years housed at the site that whole year (those housed at the snapshot date
counted to 31 December), and pays most of it by year end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines.sample.config import FinanceRates
from pipelines.sample.landlords import SITE_CODES
from pipelines.sample.trajectories import PROGRAMME_START, SITES, HousingPath

CONVENTION_YEARS = 3


@dataclass(frozen=True)
class Funder:
    code: str
    name: str
    kind: str  # etat | collectivite | assurance_maladie | fondation | investisseur_social
    shares: dict[str, float]  # sector -> share of the programme cost it carries at a site it funds
    sites: tuple[str, ...]


FUNDERS = (
    Funder("ETAT-DIHAL", "État - DIHAL", "etat", {"logement": 0.20, "accompagnement": 0.20}, SITES),
    Funder("ARS", "Agence régionale de santé", "etat", {"sante": 0.15}, SITES),
    Funder("CPAM", "Assurance maladie", "assurance_maladie", {"sante": 0.10}, SITES),
    Funder("DAP", "Ministère de la Justice - DAP", "etat", {"justice": 0.05}, SITES),
    Funder("METRO-LYON", "Métropole de Lyon", "collectivite", {"logement": 0.15, "hebergement": 0.05}, ("Lyon",)),
    Funder("METRO-AMP", "Métropole Aix-Marseille-Provence", "collectivite", {"logement": 0.15}, ("Marseille",)),
    Funder("MEL", "Métropole Européenne de Lille", "collectivite", {"logement": 0.12, "hebergement": 0.05}, ("Lille",)),
    Funder("FDF", "Fondation de France", "fondation", {"accompagnement": 0.05}, ("Lille", "Saint-Étienne")),
    Funder("CIS-LDA", "Contrat à impact social", "investisseur_social", {"emploi": 0.05}, SITES),
)
# Pay-for-performance: funder -> (indicator code, yearly target, payment per person housed at the site)
CLAUSES = {
    "CIS-LDA": (("housing_retention_12m", 0.80, 300.0), ("employment_in_work_12m", 0.15, 150.0)),
    "CPAM": (("health_emergency_visits_change", -0.30, 120.0),),
}


@dataclass(frozen=True)
class ConventionLine:
    line_id: str
    funder: str
    convention: str
    site: str
    sector: str
    year: int
    signed: date
    committed: float
    paid: float  # as of the snapshot date


@dataclass(frozen=True)
class Clause:
    clause_id: str
    funder: str
    convention: str
    site: str
    indicator_code: str
    year: int
    target: float
    payment: float


def add_person_years(budget: dict[tuple[str, int], float], path: HousingPath, as_of: date) -> None:
    """Add the path's years housed to budget[(site, year)], the budget a year's commitment is based on. A
    convention is signed for a whole year: someone still housed at `as_of` counts to the end of its year, not
    only the days so far (the warehouse takes the year in progress pro rata of its days observed)."""
    start, end = path.entry, path.tenancies[-1].end or date(as_of.year, 12, 31)
    for year in range(start.year, end.year + 1):
        first, last = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
        budget[(path.site, year)] = budget.get((path.site, year), 0.0) + ((last - first).days + 1) / 365.25


def _convention(funder: Funder, site: str, year: int) -> tuple[str, int]:
    """Number and first year of the convention covering `year`."""
    first = PROGRAMME_START.year + (year - PROGRAMME_START.year) // CONVENTION_YEARS * CONVENTION_YEARS
    return f"CONV-{funder.code}-{SITE_CODES[site]}-{first}", first


def convention_lines(budget: dict[tuple[str, int], float], cut: date, rates: FinanceRates) -> list[ConventionLine]:
    """One line per funder, site, sector and year up to the snapshot year; paid pro rata in the current year."""
    lines = []
    for funder in FUNDERS:
        for site in funder.sites:
            for year in range(PROGRAMME_START.year, cut.year + 1):
                convention, first = _convention(funder, site, year)
                for sector, share in funder.shares.items():
                    committed = round(share * rates.cost_per_person_year * budget.get((site, year), 0.0), 2)
                    done = 1.0 if year < cut.year else cut.month / 12
                    paid = round(committed * rates.paid_share_past_years * done, 2)
                    line_id = f"{convention}-{sector.upper()[:4]}-{year}"
                    lines.append(
                        ConventionLine(
                            line_id, funder.code, convention, site, sector, year, date(first, 1, 15), committed, paid
                        )
                    )
    return lines


def clauses(budget: dict[tuple[str, int], float], cut: date) -> list[Clause]:
    out = []
    for funder in FUNDERS:
        for code, target, per_person in CLAUSES.get(funder.code, ()):
            for site in funder.sites:
                for year in range(PROGRAMME_START.year, cut.year + 1):
                    convention, _ = _convention(funder, site, year)
                    payment = round(per_person * budget.get((site, year), 0.0), 2)
                    clause_id = f"PP-{funder.code}-{SITE_CODES[site]}-{year}-{code}"
                    out.append(Clause(clause_id, funder.code, convention, site, code, year, target, payment))
    return out
