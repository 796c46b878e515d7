"""Which months of a partner's extracts are overdue, for the steward to chase before a quarter's figures miss them.

A month's extract is due its contract's `due_days` after the month ends. A snapshot source is behind when its
latest period is older than the latest month due (each file is the whole state: a missed month is made good by the
next); an append source also misses every month since its first that never came (each file adds its month only).
Periods that are not past or current months (an sql source's watermark, a mistyped 2025-13 or 2052-01) are left
out; a source with none is not checked.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Lateness:
    latest: str | None  # the latest month loaded, if any
    due: str  # the latest month whose extract is due by today
    missing: tuple[str, ...]  # months due and not loaded, oldest first


def lateness(periods: Iterable[str], load: str, today: date, due_days: int) -> Lateness | None:
    """The overdue months of a source that loaded `periods` (None: it loaded periods, none of them a month)."""
    periods = set(periods)
    this_month = _index(f"{today:%Y-%m}")
    months = sorted(m for m in (_index(p) for p in periods if MONTH.match(p)) if m <= this_month)
    if periods and not months:
        return None
    due = _latest_due(today, due_days)
    if not months:
        return Lateness(None, _label(due), ())
    since = months[0] if load == "append" else months[-1]
    missing = tuple(_label(m) for m in range(since + 1, due + 1) if m not in months)
    return Lateness(_label(months[-1]), _label(due), missing)


def _latest_due(today: date, due_days: int) -> int:
    index = _index(f"{today:%Y-%m}")  # this month itself, on its last day with due_days 0
    while _month_end(index) + timedelta(days=due_days) > today:
        index -= 1
    return index


def _index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def _label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_end(index: int) -> date:
    year, month = index // 12, index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])
