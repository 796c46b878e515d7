"""The value a page shows for a published cell: its ratio recomputed from the numerator and denominator.

dbt publishes `value` rounded to 4 decimals; formatting that again (a share to a 1-decimal percentage) rounds
twice: 25 / 31 = 0.806452 is published as 0.8065 and would show as 80.7 % instead of 80.6 %."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

# Half the last published digit: the ratio a published value was rounded from lies within it.
PUBLISHED_HALF_DIGIT: Final = 0.5e-4


def shown_value(row: Mapping[str, Any]) -> float | None:
    """The cell's numerator / denominator times its catalogue `scale` (data.indicator_values joins it), unrounded;
    its published value when its indicator has no scale (medians, counts, net costs, payments due), when it has
    no pair, or when the pair is rounded to whole numbers (euros, hours) too far from what the value was computed
    from."""
    value, numerator, denominator, scale = row["value"], row["numerator"], row["denominator"], row["scale"]
    if pd.isna(value):
        return None
    if pd.isna(scale) or pd.isna(numerator) or pd.isna(denominator) or denominator == 0:
        return float(value)
    ratio = float(numerator) / float(denominator) * float(scale)
    # A ratio further from the published value than its rounding is not the one dbt rounded: show the value then.
    # The relative term only absorbs float error on large amounts.
    slack = PUBLISHED_HALF_DIGIT + 1e-12 * max(1.0, abs(ratio))
    return ratio if abs(ratio - float(value)) <= slack else float(value)
