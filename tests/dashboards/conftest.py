"""A seeded `published` schema (two sites, several entry cohorts, totals, suppressed cells) for page tests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

REPO_ROOT = Path(__file__).resolve().parents[2]
APP_FILE = REPO_ROOT / "dashboards" / "streamlit_app.py"
INDICATOR = "housing_retention_12m"
LATEST, EARLIER = "2024-12-31", "2024-09-30"
SUPPRESSION_THRESHOLD = 11

PUBLISHED_DDL = """
create schema if not exists published;
create table published.indicator_values (
    indicator_code text not null, period text not null, site text not null, cohort text not null,
    breakdown text not null, numerator integer, denominator integer, value numeric, persons integer,
    suppressed boolean not null, suppression_reason text
);
create table published.indicator_catalogue (
    indicator_code text primary key, name_fr text not null, name_en text not null,
    definition_fr text not null, definition_en text not null, unit text not null, scale numeric,
    direction text not null, sectors text not null, numerator_unit text, denominator_unit text
);
create table published.retention_curve (
    period text not null, site text not null, time_months integer not null, at_risk integer, events integer,
    survival numeric, suppressed boolean not null, suppression_reason text
);
"""

CATALOGUE_ROW = (
    INDICATOR,
    "Maintien dans le logement à 12 mois",
    "12-month housing retention",
    "Part des personnes logées depuis au moins 12 mois qui sont toujours logées, ou parties vers un autre "
    "logement pérenne, 12 mois après leur entrée.",
    "Share of persons housed for at least 12 months who are still housed, or have moved on to other "
    "permanent housing, 12 months after entry.",
    "percent",
    1,
    "higher_is_better",
    "housing",
    None,
    None,
)
EUROS = ("eur", None)  # a numerator in euros over a count (a cost over persons)
ALL_EUROS = ("eur", "eur")  # euros over euros (a payment due over the one planned, euros paid over committed)


def _catalogue_row(
    code: str,
    name_fr: str,
    name_en: str,
    unit: str,
    sectors: str,
    scale: int | None = 1,
    terms_units: tuple[str | None, str | None] = (None, None),
) -> tuple[object, ...]:
    return (code, name_fr, name_en, f"Définition de {name_fr}.", f"Definition of {name_en}.", unit, scale,
            "higher_is_better", sectors, *terms_units)  # fmt: skip


DAYS_HOUSED = "housing_days_stably_housed_share"
PAYMENT_DUE = "pfp_payment_due"
# Two tiers of one funder, indicator, site and year (80 % pays 12 345 €, met; 90 % pays 20 576 €, missed), told
# apart only by the partner's clause id, long as partners write them.
TIER_80 = "CIS-LDA:housing_retention_12m:PP-CIS-LDA-LYO-2024-housing_retention_12m-80"
TIER_90 = "CIS-LDA:housing_retention_12m:PP-CIS-LDA-LYO-2024-housing_retention_12m-90"
# The clauses' values to date: each tier's, and that of a clause whose year's entrants are not all measured yet,
# published with no payment due (provisional).
CLAUSE_VALUE = "pfp_indicator_value"
PROVISIONAL = "METRO-LYON:employment_in_work_12m:PP-ML-LYO-2024-emploi-60"
COMMITTED = "funder_committed"
# A funder's amounts by 'funder:sector', the finance partner's sector codes; 'divers' is one the dashboards do not
# know.
FUNDER_SECTORS = ["ARS:sante", "METRO-LYON:hebergement", "METRO-LYON:logement", "FDF:divers"]
# Non-percent indicators (one per unit), one in two sectors, one catalogued but not yet published, and the
# share of days stably housed, published by quarter too.
OTHER_CATALOGUE_ROWS = [
    _catalogue_row(
        "cost_avoided_health", "Coûts de santé évités", "Health costs avoided", "eur", "health;costs", 1, EUROS
    ),
    _catalogue_row(
        DAYS_HOUSED, "Part des jours en logement stable", "Share of days stably housed", "percent", "housing"
    ),
    _catalogue_row("employment_weekly_hours", "Heures hebdomadaires", "Weekly hours", "hours", "employment"),
    _catalogue_row("health_emergency_visits", "Passages aux urgences", "Emergency visits", "rate", "health"),
    _catalogue_row("housing_referral_to_entry_days", "Délai d'entrée", "Days to entry", "days", "housing"),
    _catalogue_row("housing_retention_24m", "Maintien à 24 mois", "24-month retention", "percent", "housing"),
    _catalogue_row(
        "voice_council_sessions", "Conseils de locataires", "Tenant councils", "count", "tenants_voice", scale=None
    ),
    _catalogue_row("voice_satisfaction_housing", "Satisfaction", "Satisfaction", "score", "tenants_voice"),
    _catalogue_row(CLAUSE_VALUE, "Valeur d'une clause", "Clause value", "percent", "funders"),
    _catalogue_row(PAYMENT_DUE, "Paiement dû", "Payment due", "eur", "funders", None, ALL_EUROS),
    _catalogue_row(
        COMMITTED, "Montants engagés par financeur", "Amounts committed by funder", "eur", "funders", None, EUROS
    ),
]
UNPUBLISHED = "housing_retention_24m"
CURVE = "housing_time_housed_curve"
CURVE_CATALOGUE_ROW = _catalogue_row(CURVE, "Courbe de maintien", "Time housed curve", "percent", "housing", None)


def curve_rows() -> list[tuple[object, ...]]:
    """Months 0 to 18 per site and all sites: one person lost every third month at Lyon (at risk 40 down), every
    month at Marseille (at risk 23 down, under 11 from month 13). A site's month under 11 is hidden, and the other
    site's month beside it too, so that the all-sites row does not give it away."""
    points: dict[tuple[str, int], tuple[int, int, float]] = {}
    for site, at_start, every in (("Lyon", 40, 3), ("Marseille", 23, 1), ("all", 56, 2)):
        survival = 1.0
        for month in range(19):
            at_risk, events = at_start - month // every, int(month > 0 and month % every == 0)
            survival *= 1 - events / at_risk
            points[site, month] = (at_risk, events, round(survival, 4))
    # Hidden as the published model hides them: by the numbers, not by a month picked here.
    small = {key for key, (at_risk, _, _) in points.items() if key[0] != "all" and at_risk < 11}
    hidden_months = {month for _, month in small}
    rows = []
    for (site, month), numbers in points.items():
        if site != "all" and month in hidden_months:
            reason = "small_cell" if (site, month) in small else "complementary"
            rows.append((LATEST, site, month, None, None, None, True, reason))
        else:
            rows.append((LATEST, site, month, *numbers, False, None))
    return rows


def _cell(
    code: str, site: str, cohort: str, breakdown: str, cell: tuple[object, ...] | str, period: str = LATEST
) -> tuple[object, ...]:
    # cell: (numerator, denominator, value, persons) when shown, or the suppression reason.
    if isinstance(cell, str):
        return (code, period, site, cohort, breakdown, None, None, None, None, True, cell)
    return (code, period, site, cohort, breakdown, *cell, False, None)


OTHER_ROWS = [
    # Marseille is small; Lyon is hidden so that the all-sites total does not give Marseille away.
    _cell("cost_avoided_health", "Lyon", "all", "all", "complementary"),
    _cell("cost_avoided_health", "Marseille", "all", "all", "small_cell"),
    _cell("cost_avoided_health", "all", "all", "all", (40741, 33, 1234.5788, 33)),
    # Rates before and after entry, with no overall row.
    _cell("health_emergency_visits", "Lyon", "2023-Q1", "before", (40, 15, 2.6667, 15)),
    _cell("health_emergency_visits", "Lyon", "2023-Q1", "after", (18, 15, 1.2, 15)),
    _cell("health_emergency_visits", "all", "all", "before", (61, 26, 2.3462, 26)),
    _cell("health_emergency_visits", "all", "all", "after", (29, 26, 1.1154, 26)),
    _cell("housing_referral_to_entry_days", "all", "all", "all", (1358, 30, 45.2667, 30)),
    _cell("employment_weekly_hours", "all", "all", "all", (553, 30, 18.4333, 30)),
    _cell("voice_satisfaction_housing", "all", "all", "all", (313, 40, 7.825, 40)),
    # A count of sessions counts no person: persons is empty, and the cell is not suppressed for it.
    _cell("voice_council_sessions", "all", "all", "all", (1234, None, 1234, None)),
    # Pay-for-performance clauses: cells by site only, one per clause.
    _cell(PAYMENT_DUE, "Lyon", "all", TIER_80, (12345, 12345, 12345.2, 40)),
    _cell(PAYMENT_DUE, "Lyon", "all", TIER_90, (0, 20576, 0, 40)),
    _cell(CLAUSE_VALUE, "Lyon", "all", TIER_80, (34, 40, 0.85, 40)),
    _cell(CLAUSE_VALUE, "Lyon", "all", TIER_90, (34, 40, 0.85, 40)),
    _cell(CLAUSE_VALUE, "Lyon", "all", PROVISIONAL, (12, 21, 0.571429, 21)),
    # Amounts count no persons; by site and all sites together, no all-funders row.
    *[
        _cell(COMMITTED, site, "all", key, (amount, None, amount, None))
        for key, amount in zip(FUNDER_SECTORS, (120000, 30000, 90000, 5000), strict=True)
        for site in ("Lyon", "all")
    ],
]

# The share of days stably housed by quarter: (persons observed in the quarter, days stably housed, days observed)
# per site. Days add up across quarters to the site's cell over the whole observation (DAYS_WHOLE); persons do
# not, a person observed in several quarters counting in each. Marseille's 2024-Q1 is small; suppression then
# hides Lyon's 2024-Q1 (the all-sites quarter would give it away) and each site's smallest other quarter,
# 2024-Q3 (its whole-observation cell would).
DAYS_QUARTERS: dict[str, dict[str, tuple[int, int, int]]] = {
    "Lyon": {
        "2024-Q1": (30, 2380, 2600),
        "2024-Q2": (36, 3010, 3200),
        "2024-Q3": (33, 2790, 3000),
        "2024-Q4": (38, 3240, 3420),
    },
    "Marseille": {
        "2024-Q1": (8, 560, 610),  # suppressed
        "2024-Q2": (16, 1302, 1400),
        "2024-Q3": (14, 1190, 1260),
        "2024-Q4": (18, 1470, 1600),
    },
}
# (persons observed, days stably housed, days observed) over the whole observation, entry cohorts together.
DAYS_WHOLE: dict[str, tuple[int, int, int]] = {"Lyon": (44, 11420, 12220), "Marseille": (21, 4522, 4870)}
DAYS_COMPLEMENTARY = {("2024-Q1", "Lyon"), ("2024-Q3", "Lyon"), ("2024-Q3", "Marseille")}


def _days_housed(period: str, site: str, persons: int, housed: int, observed: int) -> tuple[object, ...]:
    if persons < SUPPRESSION_THRESHOLD:
        return _cell(DAYS_HOUSED, site, "all", "all", "small_cell", period)
    if (period, site) in DAYS_COMPLEMENTARY:
        return _cell(DAYS_HOUSED, site, "all", "all", "complementary", period)
    return _cell(DAYS_HOUSED, site, "all", "all", (housed, observed, round(housed / observed, 6), persons), period)


def _sum(cells: Iterable[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(map(sum, zip(*cells, strict=True)))


def days_housed_rows() -> list[tuple[object, ...]]:
    """Per site and all sites together: the quarterly cells, then the cell over the whole observation."""
    rows = []
    for site, quarters in DAYS_QUARTERS.items():
        rows += [_days_housed(quarter, site, *cell) for quarter, cell in quarters.items()]
        rows.append(_days_housed(LATEST, site, *DAYS_WHOLE[site]))
    for quarter in DAYS_QUARTERS["Lyon"]:
        rows.append(_days_housed(quarter, "all", *_sum(q[quarter] for q in DAYS_QUARTERS.values())))
    rows.append(_days_housed(LATEST, "all", *_sum(DAYS_WHOLE.values())))
    return rows


# (persons observed 12 months, still housed at 12 months) per site and entry quarter, per observation end.
COHORTS: dict[str, dict[str, dict[str, tuple[int, int]]]] = {
    LATEST: {
        "Lyon": {
            "2022-Q3": (24, 21),
            "2022-Q4": (31, 27),
            "2023-Q1": (35, 30),
            "2023-Q2": (28, 24),
            "2023-Q3": (30, 26),
            "2023-Q4": (26, 22),
        },
        "Marseille": {
            "2022-Q3": (8, 7),  # suppressed
            "2022-Q4": (15, 13),
            "2023-Q1": (19, 16),
            "2023-Q2": (22, 18),
            "2023-Q3": (17, 15),
            "2023-Q4": (9, 8),  # suppressed
        },
    },
    EARLIER: {
        "Lyon": {"2022-Q3": (24, 22), "2022-Q4": (31, 28), "2023-Q1": (34, 28), "2023-Q2": (28, 25)},
        "Marseille": {"2022-Q3": (8, 7), "2022-Q4": (15, 12), "2023-Q1": (19, 17), "2023-Q2": (22, 19)},
    },
}


# Lyon's cells beside Marseille's small ones, hidden so that the all-sites cohort total does not give them away.
COMPLEMENTARY = {(LATEST, "Lyon", "2022-Q3"), (LATEST, "Lyon", "2023-Q4")}


def _row(period: str, site: str, cohort: str, persons: int, retained: int) -> tuple[object, ...]:
    # Published rows of hidden cells carry no numbers at all.
    if persons < SUPPRESSION_THRESHOLD:
        return (INDICATOR, period, site, cohort, "all", None, None, None, None, True, "small_cell")
    if (period, site, cohort) in COMPLEMENTARY:
        return (INDICATOR, period, site, cohort, "all", None, None, None, None, True, "complementary")
    return (
        INDICATOR,
        period,
        site,
        cohort,
        "all",
        retained,
        persons,
        round(retained / persons, 6),
        persons,
        False,
        None,
    )


def published_rows() -> list[tuple[object, ...]]:
    """Per-cohort cells, per-site totals, per-cohort all-sites totals and the programme total, per observation
    end (12-month retention has no quarterly cells: its entry cohorts are its quarters)."""
    rows = []
    for period, by_site in COHORTS.items():
        cohorts = sorted({c for cells in by_site.values() for c in cells})
        for site, cells in by_site.items():
            rows += [_row(period, site, c, *cells[c]) for c in cohorts]
            rows.append(_row(period, site, "all", *_sum(cells.values())))
        for c in cohorts:
            rows.append(_row(period, "all", c, *_sum(s[c] for s in by_site.values())))
        every = [cell for cells in by_site.values() for cell in cells.values()]
        rows.append(_row(period, "all", "all", *_sum(every)))
    return rows


def chart_points(at: AppTest) -> pd.DataFrame:
    """The data behind the quarter-after-quarter chart (the page's last), as the browser receives it."""
    chart = at.get("vega_lite_chart")[-1]
    (dataset,) = chart.proto.datasets
    return pa.ipc.open_stream(dataset.data.data).read_pandas()


def create_published(url: str, *, with_rows: bool = True) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PUBLISHED_DDL)
        if not with_rows:
            return
        with conn.cursor() as cur:
            cur.executemany(
                "insert into published.indicator_values values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [*published_rows(), *OTHER_ROWS, *days_housed_rows()],
            )
            cur.executemany(
                "insert into published.indicator_catalogue values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                [CATALOGUE_ROW, *OTHER_CATALOGUE_ROWS, CURVE_CATALOGUE_ROW],
            )
            cur.executemany("insert into published.retention_curve values (%s,%s,%s,%s,%s,%s,%s,%s)", curve_rows())


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches() -> Iterator[None]:
    # Queries and connections are cached process-wide; clearing keeps one test from seeing another.
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture
def published_db(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A warehouse with the published tables seeded; data.py reaches it through ABORD_DATABASE_URL."""
    create_published(warehouse_url)
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    return warehouse_url


@pytest.fixture
def empty_published_db(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    create_published(warehouse_url, with_rows=False)
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    return warehouse_url


@pytest.fixture
def bare_db(warehouse_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A warehouse where nothing has been published: no `published` schema at all."""
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    return warehouse_url
