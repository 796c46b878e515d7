"""The value a page shows for a published cell: its ratio recomputed from the numerator and denominator.

dbt publishes `value` rounded to 4 decimals; formatting that again (a share to a 1-decimal percentage) rounds
twice: 25 / 31 = 0.806452 is published as 0.8065 and would show as 80.7 % instead of 80.6 %."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

# Half the last published digit: the ratio a published value was rounded from lies within it.
PUBLISHED_HALF_DIGIT: Final = 0.5e-4


def unit_scale(indicator_code: str) -> float:
    """What dbt multiplies numerator / denominator by (indicator_cells.sql): 100 for rates per 100 tenancies,
    365.25 / 60 for peer-support hours per person-year (minutes over days in a tenancy), else 1."""
    if "_per_100_" in indicator_code:
        return 100.0
    if indicator_code == "peer_support_hours_per_person_year":
        return 365.25 / 60
    return 1.0


def shown_value(row: Mapping[str, Any]) -> float | None:
    """The cell's numerator / denominator in its unit, unrounded; its published value when it has no such pair
    (medians, counts, net costs) or when the pair is not what the value was computed from (some aggregate
    cells: a payment due beside the payment planned, euros per person-year from euros and days housed)."""
    value, numerator, denominator = row["value"], row.get("numerator"), row.get("denominator")
    if pd.isna(value):
        return None
    if pd.isna(numerator) or pd.isna(denominator) or denominator == 0:
        return float(value)
    ratio = float(numerator) / float(denominator) * unit_scale(str(row.get("indicator_code", "")))
    # A ratio further from the published value than its rounding was not what dbt computed it from (a pair
    # that is not the value's, or a scaling dbt has and this module lacks): show the value as published then.
    # The relative term only absorbs float error on large amounts.
    slack = PUBLISHED_HALF_DIGIT + 1e-12 * max(1.0, abs(ratio))
    return ratio if abs(ratio - float(value)) <= slack else float(value)
