"""Translations and formats, and the shaping that keeps suppressed numbers off the page."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

import dashboards
from dashboards import charts, data, frames
from dashboards.i18n import (
    SECTORS,
    SOURCE_NAMES,
    TEXT,
    format_breakdown,
    format_cohort,
    format_count,
    format_date,
    format_percent,
    format_sector,
    format_value,
    is_clause,
    t,
)
from tests.dashboards.conftest import DAYS_QUARTERS, DAYS_WHOLE, LATEST, days_housed_rows

NBSP, NNBSP = "\u00a0", "\u202f"


def test_every_string_exists_in_both_languages() -> None:
    assert TEXT["fr"].keys() == TEXT["en"].keys()
    assert all(TEXT["fr"].values()) and all(TEXT["en"].values())
    assert SOURCE_NAMES["fr"].keys() == SOURCE_NAMES["en"].keys()


def test_every_string_is_shown_somewhere() -> None:
    # A key is used when the dashboards' code names it, or builds it from a prefix (f"sector.{code}"); the
    # strings of TEXT itself do not count.
    named: set[str] = set()
    prefixes: set[str] = set()
    for module in Path(dashboards.__file__).parent.rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        tables = [n.value for n in ast.walk(tree) if isinstance(n, ast.AnnAssign) and ast.unparse(n.target) == "TEXT"]
        skipped = {id(node) for table in tables for node in ast.walk(table)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.Constant):
                prefixes.add(str(node.values[0].value))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                named.add(node.value)
    unused = [key for key in TEXT["fr"] if key not in named and not key.startswith(tuple(prefixes))]
    assert unused == []


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
            ["x", "2024-12-31", "A", "2023-Q1", "all", 30, 35, 30 / 35, 35, False, 1],
            ["x", "2024-12-31", "A", "2023-Q2", "all", *hidden, True, 1],
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
            "scale",
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
    points = frames.chart_rows(source, "en")
    # the hidden cohort keeps its place with no value, so its line breaks there; its labels hold no number
    assert points["cohort"].tolist() == ["2023-Q1", "2023-Q2"]
    assert pd.isna(points["value"].iloc[1]) and not pd.isna(points["value"].iloc[0])
    assert (points["rate_label"].iloc[1], points["persons_label"].iloc[1]) == ("—", "< 11")
    assert frames.suppressed_cells(source, "en") == ["A 2023-Q2"]


def _euro_row(
    code: str, numerator: int, denominator: int, value: float, scale: float | None, units: tuple[str | None, ...]
) -> pd.DataFrame:
    # As data.indicator_values reads it: with its catalogue scale and the units of its numerator and denominator.
    return pd.DataFrame(
        [[code, LATEST, "all", "all", "all", numerator, denominator, value, 33, False, None, scale, *units]],
        columns=[*data.VALUE_COLUMNS, "scale", "numerator_unit", "denominator_unit"],
    ).astype({"numerator": "Int64", "denominator": "Int64", "value": "Float64", "persons": "Int64"})


@pytest.mark.parametrize(
    ("lang", "costs", "payment", "paid"),
    [
        (
            "fr",
            ["33", f"-40{NNBSP}741{NBSP}€", "33", f"-1{NNBSP}235{NBSP}€"],
            [f"0{NBSP}€", f"20{NNBSP}576{NBSP}€"],
            [f"90{NNBSP}000{NBSP}€", f"120{NNBSP}000{NBSP}€", f"75,0{NBSP}%"],
        ),
        ("en", ["33", "-€40,741", "33", "-€1,235"], ["€0", "€20,576"], ["€90,000", "€120,000", "75.0%"]),
    ],
)
def test_the_amounts_behind_a_value_read_as_money_where_the_catalogue_says_euros(
    lang: str, costs: list[str], payment: list[str], paid: list[str]
) -> None:
    # Costs avoided (negative when use grew): a total in euros over persons. Persons, numerator, denominator, value.
    avoided = _euro_row("cost_avoided_health", -40741, 33, -1234.5758, 1, ("eur", None))
    assert frames.display_table(avoided, lang, frames.INDICATOR_COLUMNS, "eur").iloc[0].tolist()[3:] == costs
    # A numerator the catalogue does not say is in euros stays a count, whatever the value's unit.
    counted = _euro_row("cost_avoided_health", -40741, 33, -1234.5758, 1, (None, None))
    assert frames.display_table(counted, lang, frames.INDICATOR_COLUMNS, "eur").iloc[0].tolist()[4] == format_count(
        -40741, lang
    )
    # A payment due (no scale: not a ratio) over the payment planned: both amounts.
    due = _euro_row("pfp_payment_due", 0, 20576, 0, None, ("eur", "eur"))
    assert frames.display_table(due, lang, frames.INDICATOR_COLUMNS, "eur").iloc[0].tolist()[4:6] == payment
    # A share (a percent) of the euros committed that were paid: both amounts too, the value a percentage.
    share = _euro_row("funder_paid_share", 90000, 120000, 0.75, 1, ("eur", "eur"))
    assert frames.display_table(share, lang, frames.INDICATOR_COLUMNS, "percent").iloc[0].tolist()[4:] == paid


def test_chart_axis_uses_the_french_number_locale() -> None:
    source = frames.chart_source(_rows(False), "2024-12-31")
    spec = charts.rate_by_cohort(frames.chart_rows(source, "fr"), "fr").to_dict()
    assert spec["mark"]["invalid"] == "break-paths-show-domains"  # a hidden cohort breaks the line
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"


@pytest.mark.parametrize(("lang", "currency"), [("fr", ["", f"{NBSP}€"]), ("en", ["€", ""])])
def test_an_amounts_axis_is_in_euros_in_either_language(lang: str, currency: list[str]) -> None:
    # The programme is in euros: the English locale handed to Vega declared the pound, which its currency format
    # ("$") would put on an amount's ticks.
    rows = frames.quarterly(QUARTERLY.assign(indicator_code="landlord_guarantee_amount_claimed"), "A")
    spec = charts.value_by_quarter(frames.quarter_chart_rows(rows, lang, "eur"), lang, "eur").to_dict()
    assert spec["config"]["locale"]["number"]["currency"] == currency
    assert spec["encoding"]["y"]["axis"]["format"] == "$,.0f"  # whole euros, as in the tables
    assert "£" not in str(spec)


def _published(cells: list[tuple[object, ...]]) -> pd.DataFrame:
    # cells: (period, site, breakdown, numerator, denominator, value, persons, suppressed, reason), cohort 'all';
    # as data.indicator_values reads them, with the catalogue's scale of a share.
    records = [("x", period, site, "all", *rest) for period, site, *rest in cells]
    frame = pd.DataFrame(records, columns=list(data.VALUE_COLUMNS)).astype(
        {"numerator": "Int64", "denominator": "Int64", "value": "Float64", "persons": "Int64", "suppressed": "boolean"}
    )
    return frame.assign(scale=1.0)


# Returns to homelessness within 180 days, as published: cumulative cells at two observation ends, and quarterly
# cells (the persons whose window closed in the quarter) out of time order, a year boundary between them. A's
# quarters add up to its cells over the whole observation; its 2024-Q4 is hidden yet carries numbers, which must
# never come through.
QUARTERLY = _published(
    [
        ("2025-03-31", "A", "all", 6, 40, 0.15, 40, False, None),
        ("2025-Q1", "A", "all", 2, 12, 0.166667, 12, False, None),
        ("2024-Q4", "A", "all", 1, 5, 0.2, 5, True, "small_cell"),
        ("2024-Q3", "A", "all", 3, 23, 0.130435, 23, False, None),
        ("2024-Q3", "all", "all", 4, 30, 0.133333, 30, False, None),
        ("2024-12-31", "A", "all", 4, 28, 0.142857, 28, False, None),
    ]
)


def test_periods_list_observation_ends_never_quarters() -> None:
    assert frames.periods(QUARTERLY) == ["2025-03-31", "2024-12-31"]
    # Cumulative selections never pick up a quarterly cell.
    assert set(frames.select(QUARTERLY, "2025-03-31", breakdown=None)["period"]) == {"2025-03-31"}


def test_quarterly_cells_in_time_order_and_without_hidden_numbers() -> None:
    rows = frames.quarterly(QUARTERLY, "A")
    assert rows["period"].tolist() == ["2024-Q3", "2024-Q4", "2025-Q1"]
    hidden = rows[rows["period"] == "2024-Q4"]
    assert hidden[frames.NUMBER_COLUMNS].isna().all().all()
    assert hidden["suppression_reason"].tolist() == ["small_cell"]
    assert rows.loc[rows["period"] == "2025-Q1", "persons"].tolist() == [12]
    assert frames.latest_quarter(rows) == "2025-Q1"
    # All sites together are their own cells; a site without quarterly cells has none.
    assert frames.quarterly(QUARTERLY, frames.ALL)["persons"].tolist() == [30]
    assert frames.quarterly(QUARTERLY, "B").empty


def test_a_hidden_quarter_is_a_gap_in_its_line_never_a_number() -> None:
    points = frames.quarter_chart_rows(frames.quarterly(QUARTERLY, "A"), "fr", "percent")
    assert points["quarter_label"].tolist() == ["2024-T3", "2024-T4", "2025-T1"]
    assert points["breakdown_label"].tolist() == ["Ensemble"] * 3
    hidden = points[points["quarter"] == "2024-Q4"]
    assert hidden["value"].isna().all()  # kept in place, with no value: the line breaks there
    assert hidden[["value_label", "persons_label"]].values.tolist() == [["—", "< 11"]]
    assert points["value_label"].tolist() == [f"13,0{NBSP}%", "—", f"16,7{NBSP}%"]

    spec = charts.value_by_quarter(points, "fr", "percent").to_dict()
    assert spec["mark"]["invalid"].startswith("break-paths")
    assert spec["encoding"]["x"]["sort"] == ["2024-T3", "2024-T4", "2025-T1"]  # the hidden quarter stays on the axis
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Ensemble"]
    # The whole alone: no legend, and no tooltip line saying "Ensemble".
    assert spec["encoding"]["color"]["legend"] is None
    assert [tip["title"] for tip in spec["encoding"]["tooltip"]] == ["Trimestre", "Valeur", "Personnes"]
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    # Even a hidden quarter that carried numbers (unknown flag included) is plotted without them.
    raw = QUARTERLY[QUARTERLY["period"].map(frames.is_quarter) & (QUARTERLY["site"] == "A")].copy()
    raw.loc[raw["period"] == "2024-Q3", "suppressed"] = pd.NA
    leaked = frames.quarter_chart_rows(raw, "en", "percent")
    assert leaked.loc[leaked["quarter"].isin(["2024-Q4", "2024-Q3"]), "value"].isna().all()


def test_days_housed_fixture_adds_up_days_across_quarters_never_persons() -> None:
    for site, quarters in DAYS_QUARTERS.items():
        persons, housed, observed = DAYS_WHOLE[site]
        assert [sum(cell[i] for cell in quarters.values()) for i in (1, 2)] == [housed, observed], site
        # A person observed in several quarters counts in each: more persons by quarter than in the whole.
        assert max(cell[0] for cell in quarters.values()) <= persons < sum(cell[0] for cell in quarters.values())
    whole = {row[2]: row[5:9] for row in days_housed_rows() if row[1] == LATEST}
    assert whole["all"][:2] == (15942, 17090) and whole["all"][3] == 65


def test_quarterly_table_has_the_indicator_tables_numbers_and_a_breakdown_only_when_there_are_several() -> None:
    rows = frames.quarterly(QUARTERLY, "A")
    table = frames.display_table(rows, "en", frames.quarter_columns(rows), "percent")
    assert list(table.columns) == ["Quarter", "Persons", "Numerator", "Denominator", "Value"]
    assert table.values.tolist() == [
        ["2024-Q3", "23", "3", "23", "13.0%"],
        ["2024-Q4", "< 11", "—", "—", "—"],
        ["2025-Q1", "12", "2", "12", "16.7%"],
    ]
    # Had the quarters several breakdowns, each would say which, in the table and in the chart's legend.
    split = rows.assign(breakdown=["before", "after", "before"])
    assert list(frames.display_table(split, "en", frames.quarter_columns(split)).columns) == [
        "Quarter", "Breakdown", "Persons", "Numerator", "Denominator", "Value",
    ]  # fmt: skip
    spec = charts.value_by_quarter(frames.quarter_chart_rows(split, "en", "percent"), "en", "percent").to_dict()
    assert "legend" not in spec["encoding"]["color"]
    assert [tip["title"] for tip in spec["encoding"]["tooltip"]] == ["Quarter", "Breakdown", "Value", "Persons"]


def test_a_clause_loaded_before_clause_ids_were_kept_reads_as_a_clause() -> None:
    # Its breakdown is 'funder:indicator' until the finance partner's next extract: its indicator's name, no card.
    assert is_clause("CIS-LDA:housing_retention_12m") and not is_clause("ARS:sante")
    assert format_breakdown("CIS-LDA:housing_retention_12m", "fr") == "CIS-LDA — Maintien dans le logement à 12 mois"
    assert format_breakdown("CPAM:health_emergency_visits_change", "en") == "CPAM — Change in emergency visits"
