"""Shown values are the cells' ratios, rounded once: never the 4-decimal published value rounded again."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import data, exports, frames

NBSP = "\u00a0"


def _cells(cells: list[tuple[object, ...]]) -> pd.DataFrame:
    # cells: (indicator_code, numerator, denominator, value as published, persons, catalogue scale), all sites and
    # cohorts, as data.indicator_values reads them.
    records = [
        (code, "2025-12-31", "all", "all", "all", *numbers, False, None, scale) for code, *numbers, scale in cells
    ]
    return pd.DataFrame(records, columns=[*data.VALUE_COLUMNS, "scale"]).astype(
        {
            "numerator": "Int64",
            "denominator": "Int64",
            "value": "Float64",
            "persons": "Int64",
            "suppressed": "boolean",
            "scale": "Float64",
        }
    )


# 25 / 31 = 0.806452 is published as 0.8065, which a percentage to one decimal would round again to 80.7 %.
RETAINED = _cells([("housing_retention_12m", 25, 31, 0.8065, 31, 1)])


@pytest.mark.parametrize(("lang", "shown"), [("fr", f"80,6{NBSP}%"), ("en", "80.6%")])
def test_a_share_shows_its_ratio_rounded_once(lang: str, shown: str) -> None:
    table = frames.display_table(RETAINED, lang)
    assert table.iloc[0].tolist()[-1] == shown
    row = frames.overall(RETAINED, "2025-12-31")
    assert row is not None and frames.cell_text(row, "value", lang) == shown  # the page's metric
    points = frames.chart_rows(RETAINED.assign(cohort="2024-Q4"), lang)
    assert points["rate_label"].tolist() == [shown]
    assert points["value"].tolist() == [pytest.approx(25 / 31, abs=1e-12)]  # plotted where its label says


def test_the_csv_extract_keeps_the_published_value() -> None:
    assert "0.8065" in exports.csv_bytes(RETAINED, "en").decode("utf-8-sig")


@pytest.mark.parametrize(
    ("cell", "unit", "fr", "en"),
    [
        # per 100 tenancies: 50 / 101 * 100 = 49.50495, published 49.505
        (("landlord_incidents_per_100_tenancies", 50, 101, 49.505, 101, 100), "rate", "49,50", "49.50"),
        # peer-support hours per person-year: 577 minutes / 250 days * 365.25 / 60 = 14.04995, published 14.05
        (("peer_support_hours_per_person_year", 577, 250, 14.05, 20, 6.0875), "hours", f"14,0{NBSP}h", f"14.0{NBSP}h"),
        # no numerator: the median as published
        (
            ("housing_referral_to_entry_days_median", None, 30, 45.5, 30, None),
            "days",
            f"45,5{NBSP}jours",
            f"45.5{NBSP}days",
        ),
        # no scale, a numerator and denominator the value is not the ratio of: the payment due beside the payment
        (("pfp_payment_due", 50000, 100000, 50000, 40, None), "eur", f"50\u202f000{NBSP}€", "€50,000"),
        # euros (1,000.60, published as 1,001) over 365 days times 365.25: 1,001.2853, where the rounded euros give
        # 1,001.6856; the value as published
        (("cost_programme_per_person_year", 1001, 365, 1001.2853, 12, 365.25), "eur", f"1\u202f001{NBSP}€", "€1,001"),
        # a share without a catalogue scale is not recomputed: its published value, rounded twice
        (("housing_retention_12m", 25, 31, 0.8065, 31, None), "percent", f"80,7{NBSP}%", "80.7%"),
    ],
)
def test_the_catalogue_scale_gives_the_ratio_shown_or_the_published_value_is(
    cell: tuple[object, ...], unit: str, fr: str, en: str
) -> None:
    rows = _cells([cell])
    shown = [frames.display_table(rows, lang, frames.INDICATOR_COLUMNS, unit).iloc[0, -1] for lang in ("fr", "en")]
    assert shown == [fr, en]


def test_each_published_row_carries_its_indicators_catalogue_scale(published_db: str) -> None:
    assert data.indicator_values("housing_retention_12m")["scale"].eq(1).all()
    assert data.indicator_values("voice_council_sessions")["scale"].isna().all()
