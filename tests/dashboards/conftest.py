"""A seeded `published` schema (two sites, several entry cohorts, totals, suppressed cells) for page tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import streamlit as st

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
    """Per-cohort cells, per-site totals, per-cohort all-sites totals and the programme total."""
    rows = []
    for period, by_site in COHORTS.items():
        cohorts = sorted({c for cells in by_site.values() for c in cells})
        for site, cells in by_site.items():
            rows += [_row(period, site, c, *cells[c]) for c in cohorts]
            rows.append(_row(period, site, "all", *map(sum, zip(*cells.values(), strict=True))))
        for c in cohorts:
            rows.append(
                _row(period, "all", c, *map(sum, zip(*(s[c] for s in by_site.values()), strict=True)))
            )
        every = [cell for cells in by_site.values() for cell in cells.values()]
        rows.append(_row(period, "all", "all", *map(sum, zip(*every, strict=True))))
    return rows


def create_published(url: str, *, with_rows: bool = True) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PUBLISHED_DDL)
        if not with_rows:
            return
        with conn.cursor() as cur:
            cur.executemany(
                "insert into published.indicator_values values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                published_rows(),
            )
            cur.execute(
                "insert into published.indicator_catalogue values (%s,%s,%s,%s,%s,%s,%s,%s)", CATALOGUE_ROW
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
