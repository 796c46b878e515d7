"""Translations and formats, and the shaping that keeps suppressed numbers off the page."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import charts, frames
from dashboards.i18n import (
    SECTORS,
    TEXT,
    format_cohort,
    format_count,
    format_date,
    format_percent,
    format_sector,
    format_value,
    t,
)

NBSP, NNBSP = "\u00a0", "\u202f"


def test_every_string_exists_in_both_languages() -> None:
    assert TEXT["fr"].keys() == TEXT["en"].keys()
    assert all(TEXT["fr"].values()) and all(TEXT["en"].values())


@pytest.mark.parametrize(
    ("lang", "percent", "count", "date", "cohort"),
    [
        ("fr", "85,3\u00a0%", "1\u202f234", "31/12/2024", "2023-T1"),
        ("en", "85.3%", "1,234", "31 Dec 2024", "2023-Q1"),
    ],
)
def test_formats_per_language(lang: str, percent: str, count: str, date: str, cohort: str) -> None:
    assert format_percent(0.8531, lang) == percent
    assert format_count(1234, lang) == count
    assert format_date("2024-12-31", lang) == date
    assert format_cohort("2023-Q1", lang) == cohort
    assert format_cohort("all", lang) == t("all_cohorts", lang)
    assert format_percent(None, lang) == format_percent(pd.NA, lang) == "—"


@pytest.mark.parametrize(
    ("unit", "value", "fr", "en"),
    [
        ("percent", 0.8531, f"85,3{NBSP}%", "85.3%"),
        ("eur", 1234.56, f"1{NNBSP}235{NBSP}€", "€1,235"),  # whole euros
        ("eur", -12345.6, f"-12{NNBSP}346{NBSP}€", "-€12,346"),  # net cost can be negative
        ("days", 45.26, f"45,3{NBSP}jours", f"45.3{NBSP}days"),
        ("hours", 1234.56, f"1{NNBSP}234,6{NBSP}h", f"1,234.6{NBSP}h"),
        ("rate", 2.3456, "2,35", "2.35"),
        ("score", 7.83, "7,8", "7.8"),
        ("count", 1234, f"1{NNBSP}234", "1,234"),
        ("count", 2.5, "2,5", "2.5"),  # a mean count (actions per session) keeps its decimal
        ("eur", pd.NA, "—", "—"),
    ],
)
def test_values_format_per_unit_and_language(unit: str, value: float, fr: str, en: str) -> None:
    assert (format_value(value, unit, "fr"), format_value(value, unit, "en")) == (fr, en)


def test_every_catalogue_sector_has_a_label_and_an_unknown_one_shows_its_code() -> None:
    assert all(f"sector.{code}" in TEXT[lang] for code in SECTORS for lang in ("fr", "en"))
    assert format_sector("new_sector", "fr") == "new_sector"


def test_sectors_split_the_catalogue_field_and_keep_reading_order() -> None:
    catalogue = pd.DataFrame(
        {"indicator_code": ["a", "b", "c"], "sectors": ["costs", "health;costs", "zz_new;housing"]}
    )
    assert frames.sectors(catalogue) == ["housing", "health", "costs", "zz_new"]
    assert frames.indicators_in(catalogue, "costs") == ["a", "b"]
    assert frames.indicators_in(catalogue, "health") == ["b"]


def _rows(suppressed_has_numbers: bool) -> pd.DataFrame:
    hidden = (7, 8, 0.875, 8) if suppressed_has_numbers else (pd.NA,) * 4
    return pd.DataFrame(
        [
            ["x", "2024-12-31", "A", "2023-Q1", "all", 30, 35, 30 / 35, 35, False],
            ["x", "2024-12-31", "A", "2023-Q2", "all", *hidden, True],
        ],
        columns=[
            "indicator_code",
            "period",
            "site",
            "cohort",
            "breakdown",
            "numerator",
            "denominator",
            "value",
            "persons",
            "suppressed",
        ],
    ).astype({"numerator": "Int64", "denominator": "Int64", "value": "Float64", "persons": "Int64"})


@pytest.mark.parametrize(("suppressed_has_numbers", "flag"), [(False, True), (True, True), (True, pd.NA)])
def test_suppressed_numbers_never_reach_table_or_chart(suppressed_has_numbers: bool, flag: object) -> None:
    # Even if a suppressed row (or one with an unknown flag) carried numbers, the page must not show them.
    rows = _rows(suppressed_has_numbers)
    rows["suppressed"] = pd.array([False, flag], dtype="boolean")
    table = frames.display_table(rows, "en")
    assert table.iloc[1].tolist() == ["A", "2023-Q2", "< 11", "—", "—"]
    generic = frames.display_table(rows, "en", frames.INDICATOR_COLUMNS, "eur")
    assert generic.iloc[1].tolist() == ["A", "2023-Q2", "All", "< 11", "—", "—", "—"]
    source = frames.chart_source(rows, "2024-12-31")
    assert frames.chart_rows(source, "en")["cohort"].tolist() == ["2023-Q1"]
    assert frames.suppressed_cells(source, "en") == ["A 2023-Q2"]


def test_chart_axis_uses_the_french_number_locale() -> None:
    source = frames.chart_source(_rows(False), "2024-12-31")
    spec = charts.rate_by_cohort(frames.chart_rows(source, "fr"), "fr").to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
