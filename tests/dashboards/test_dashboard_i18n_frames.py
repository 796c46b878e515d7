"""Translations and formats, and the shaping that keeps suppressed numbers off the page."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import charts, frames
from dashboards.i18n import TEXT, format_cohort, format_count, format_date, format_percent, t


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
    source = frames.chart_source(rows, "2024-12-31")
    assert frames.chart_rows(source, "en")["cohort"].tolist() == ["2023-Q1"]
    assert frames.suppressed_cells(source, "en") == ["A 2023-Q2"]


def test_chart_axis_uses_the_french_number_locale() -> None:
    source = frames.chart_source(_rows(False), "2024-12-31")
    spec = charts.rate_by_cohort(frames.chart_rows(source, "fr"), "fr").to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"
