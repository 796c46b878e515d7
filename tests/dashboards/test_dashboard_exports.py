"""CSV extracts: the published long shape, in each language's spreadsheet conventions."""

from __future__ import annotations

import csv
import io

import pandas as pd

from dashboards import data, exports, frames
from tests.dashboards.conftest import (
    CLAUSE_VALUE,
    COMMITTED,
    DAYS_HOUSED,
    FUNDER_SECTORS,
    PAYMENT_DUE,
    TIER_80,
    TIER_90,
    curve_rows,
)

INDICATOR, LATEST = "housing_retention_12m", "2024-12-31"

HEADER = list(data.VALUE_COLUMNS)


def rows_shown() -> pd.DataFrame:
    return frames.select(data.indicator_values(INDICATOR), LATEST, "Marseille")


def parse(payload: bytes, sep: str) -> list[list[str]]:
    assert payload.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(payload.decode("utf-8-sig")), delimiter=sep))


def test_french_csv_uses_semicolons_and_decimal_commas(published_db: str) -> None:
    lines = parse(exports.csv_bytes(rows_shown(), "fr"), ";")
    assert lines[0] == HEADER
    by_cohort = {line[3]: line for line in lines[1:]}
    assert set(by_cohort) == {"2022-Q3", "2022-Q4", "2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4", "all"}
    assert by_cohort["2023-Q1"] == [
        INDICATOR,
        LATEST,
        "Marseille",
        "2023-Q1",
        "all",
        "16",
        "19",
        "0,842105",
        "19",
        "false",
        "",
    ]
    # A suppressed cell is exported as published: flagged, with its reason and no numbers.
    assert by_cohort["2022-Q3"][5:] == ["", "", "", "", "true", "small_cell"]


def test_english_csv_uses_commas_and_decimal_points(published_db: str) -> None:
    lines = parse(exports.csv_bytes(rows_shown(), "en"), ",")
    assert lines[0] == HEADER
    assert ["0.842105", "19"] == [line for line in lines if line[3] == "2023-Q1"][0][7:9]


def test_suppressed_rows_of_any_indicator_are_exported_without_numbers(published_db: str) -> None:
    shown = frames.select(data.indicator_values("cost_avoided_health"), LATEST, breakdown=None)
    by_site = {line[2]: line for line in parse(exports.csv_bytes(shown, "fr"), ";")[1:]}
    assert by_site["Lyon"][5:] == ["", "", "", "", "true", "complementary"]
    assert by_site["Marseille"][5:] == ["", "", "", "", "true", "small_cell"]
    assert by_site["all"][5:] == ["40741", "33", "1234,5788", "33", "false", ""]


def test_numbers_a_suppressed_row_carries_never_reach_the_csv() -> None:
    # Defence in depth: a suppressed row (or one with an unknown flag) that carried numbers is blanked.
    rows = pd.DataFrame(
        [["x", LATEST, "A", "all", "all", 7, 8, 0.875, 8, flag, "small_cell"] for flag in (True, pd.NA)],
        columns=HEADER,
    ).astype({"numerator": "Int64", "denominator": "Int64", "value": "Float64", "persons": "Int64"})
    rows["suppressed"] = rows["suppressed"].astype("boolean")
    for line in parse(exports.csv_bytes(rows, "en"), ",")[1:]:
        assert line[5:9] == ["", "", "", ""]


def test_the_curves_extract_is_its_published_table_hidden_months_without_numbers(published_db: str) -> None:
    points = data.retention_curve()
    marseille = points[points["site"] == "Marseille"].copy()
    # Defence in depth, as for cells: a hidden month (or one with an unknown flag) that carried numbers.
    marseille.loc[marseille["time_months"] == 13, ["at_risk", "events", "survival"]] = [9, 1, 0.5]
    marseille.loc[marseille["time_months"] == 14, "suppressed"] = pd.NA
    lines = parse(exports.csv_bytes(marseille, "en", data.CURVE_COLUMNS), ",")
    assert lines[0] == list(data.CURVE_COLUMNS)
    by_month = {int(line[2]): line for line in lines[1:]}
    (month_12,) = [row for row in curve_rows() if row[1] == "Marseille" and row[2] == 12]
    assert by_month[12][3:] == [*map(str, month_12[3:6]), "false", ""]
    # A hidden month says why, as a suppressed cell of an indicator's extract does.
    assert by_month[13][3:] == ["", "", "", "true", "small_cell"]
    assert by_month[14][3:6] == ["", "", ""]


def test_a_funders_extract_keeps_the_funder_sector_key_it_joins_on(published_db: str) -> None:
    shown = frames.select(data.indicator_values(COMMITTED), LATEST, "Lyon", breakdown=None)
    assert sorted(line[4] for line in parse(exports.csv_bytes(shown, "en"), ",")[1:]) == sorted(FUNDER_SECTORS)


def test_a_payment_due_extract_holds_only_its_published_cells(published_db: str) -> None:
    # The page adds a row for a clause whose payment is not due yet (frames.with_provisional): published nowhere, it
    # stays out of the extract, where its empty numbers would read as a payment missing.
    values = frames.with_provisional(data.indicator_values(CLAUSE_VALUE, PAYMENT_DUE), PAYMENT_DUE)
    shown = frames.select(values, LATEST, "Lyon", breakdown=None)
    assert len(shown) == 3
    assert [line[4] for line in parse(exports.csv_bytes(frames.published(shown), "en"), ",")[1:]] == [TIER_80, TIER_90]


def test_file_name_names_indicator_site_and_period_and_the_quarterly_extract_apart() -> None:
    assert exports.csv_file_name(INDICATOR, "all", LATEST) == "abord_housing_retention_12m_all-sites_2024-12-31.csv"
    assert exports.csv_file_name(INDICATOR, "Saint-Étienne", LATEST) == (
        "abord_housing_retention_12m_saint-etienne_2024-12-31.csv"
    )
    assert (
        exports.csv_file_name(DAYS_HOUSED, "Lyon", LATEST, quarters=True)
        == "abord_housing_days_stably_housed_share_lyon_2024-12-31_quarters.csv"
    )


def test_quarterly_rows_are_exported_hidden_ones_without_numbers(published_db: str) -> None:
    shown = frames.quarterly(data.indicator_values(DAYS_HOUSED), "Marseille")
    lines = parse(exports.csv_bytes(shown, "en"), ",")
    assert lines[0] == HEADER
    assert [line[1] for line in lines[1:]] == ["2024-Q1", "2024-Q2", "2024-Q3", "2024-Q4"]
    by_quarter = {line[1]: line for line in lines[1:]}
    assert by_quarter["2024-Q1"][2:] == ["Marseille", "all", "all", "", "", "", "", "true", "small_cell"]
    assert by_quarter["2024-Q3"][5:] == ["", "", "", "", "true", "complementary"]
    assert by_quarter["2024-Q2"][5:] == ["1302", "1400", "0.93", "16", "false", ""]
