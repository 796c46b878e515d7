"""A seeded `published` schema (two sites, several entry cohorts, totals, suppressed cells) for page tests."""

from __future__ import annotations

from collections.abc import Iterator
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
    definition_fr text not null, definition_en text not null, unit text not null,
    direction text not null, sectors text not null
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
    "higher_is_better",
    "housing",
)


def _catalogue_row(code: str, name_fr: str, name_en: str, unit: str, sectors: str) -> tuple[str, ...]:
    return (code, name_fr, name_en, f"Définition de {name_fr}.", f"Definition of {name_en}.", unit,
            "higher_is_better", sectors)  # fmt: skip


# Non-percent indicators (one per unit), one in two sectors, and one catalogued but not yet published.
OTHER_CATALOGUE_ROWS = [
    _catalogue_row("cost_avoided_health", "Coûts de santé évités", "Health costs avoided", "eur", "health;costs"),
    _catalogue_row("employment_weekly_hours", "Heures hebdomadaires", "Weekly hours", "hours", "employment"),
    _catalogue_row("health_emergency_visits", "Passages aux urgences", "Emergency visits", "rate", "health"),
    _catalogue_row("housing_referral_to_entry_days", "Délai d'entrée", "Days to entry", "days", "housing"),
    _catalogue_row("housing_retention_24m", "Maintien à 24 mois", "24-month retention", "percent", "housing"),
    _catalogue_row("voice_council_sessions", "Conseils de locataires", "Tenant councils", "count", "tenants_voice"),
    _catalogue_row("voice_satisfaction_housing", "Satisfaction", "Satisfaction", "score", "tenants_voice"),
]
UNPUBLISHED = "housing_retention_24m"


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
    # Its quarterly cells (persons whose 12 months after entry ended in the quarter), listed out of time order;
    # 2024-Q2's 4 persons are hidden, before and after. Quarters sum to the all-cohorts cells above.
    _cell("health_emergency_visits", "all", "all", "before", (27, 11, 2.4545, 11), "2024-Q3"),
    _cell("health_emergency_visits", "all", "all", "after", (12, 11, 1.0909, 11), "2024-Q3"),
    _cell("health_emergency_visits", "all", "all", "before", "small_cell", "2024-Q2"),
    _cell("health_emergency_visits", "all", "all", "after", "small_cell", "2024-Q2"),
    _cell("health_emergency_visits", "all", "all", "before", (25, 11, 2.2727, 11), "2024-Q1"),
    _cell("health_emergency_visits", "all", "all", "after", (13, 11, 1.1818, 11), "2024-Q1"),
    _cell("housing_referral_to_entry_days", "all", "all", "all", (1358, 30, 45.2667, 30)),
    _cell("employment_weekly_hours", "all", "all", "all", (553, 30, 18.4333, 30)),
    _cell("voice_satisfaction_housing", "all", "all", "all", (313, 40, 7.825, 40)),
    # A count of sessions counts no person: persons is empty, and the cell is not suppressed for it.
    _cell("voice_council_sessions", "all", "all", "all", (1234, None, 1234, None)),
]

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


# (persons, retained) by the quarter of their 12-month mark, up to LATEST: each site's quarters sum to its
# all-cohorts cell at LATEST.
QUARTERS: dict[str, dict[str, tuple[int, int]]] = {
    "Lyon": {
        "2023-Q3": (24, 21),
        "2023-Q4": (31, 27),
        "2024-Q1": (35, 30),
        "2024-Q2": (28, 24),
        "2024-Q3": (30, 26),
        "2024-Q4": (26, 22),
    },
    "Marseille": {
        "2023-Q3": (15, 13),
        "2023-Q4": (19, 16),
        "2024-Q1": (8, 7),  # suppressed
        "2024-Q2": (22, 18),
        "2024-Q3": (17, 15),
        "2024-Q4": (9, 8),  # suppressed
    },
}

# Lyon's cells beside Marseille's small ones, hidden so that the all-sites cohort (or quarter) total does not
# give them away.
COMPLEMENTARY = {
    (LATEST, "Lyon", "2022-Q3"),
    (LATEST, "Lyon", "2023-Q4"),
    ("2024-Q1", "Lyon", "all"),
    ("2024-Q4", "Lyon", "all"),
}


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
    end; then the quarterly cells, per site and all sites."""
    rows = []
    for period, by_site in COHORTS.items():
        cohorts = sorted({c for cells in by_site.values() for c in cells})
        for site, cells in by_site.items():
            rows += [_row(period, site, c, *cells[c]) for c in cohorts]
            rows.append(_row(period, site, "all", *map(sum, zip(*cells.values(), strict=True))))
        for c in cohorts:
            rows.append(_row(period, "all", c, *map(sum, zip(*(s[c] for s in by_site.values()), strict=True))))
        every = [cell for cells in by_site.values() for cell in cells.values()]
        rows.append(_row(period, "all", "all", *map(sum, zip(*every, strict=True))))
    # Quarterly cells: cohort 'all', per site and for all sites together.
    for site, cells in QUARTERS.items():
        rows += [_row(quarter, site, "all", *cell) for quarter, cell in cells.items()]
    for quarter in QUARTERS["Lyon"]:
        rows.append(_row(quarter, "all", "all", *map(sum, zip(*(s[quarter] for s in QUARTERS.values()), strict=True))))
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
                [*published_rows(), *OTHER_ROWS],
            )
            cur.executemany(
                "insert into published.indicator_catalogue values (%s,%s,%s,%s,%s,%s,%s,%s)",
                [CATALOGUE_ROW, *OTHER_CATALOGUE_ROWS],
            )


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
