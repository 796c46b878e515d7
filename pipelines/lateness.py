"""Which months of a partner's extracts are overdue, for the steward to chase before a quarter's figures miss them.

A month's extract is due its contract's `due_days` after the month ends. A snapshot source is behind when its
latest period is older than the latest month due (each file is the whole state: a missed month is made good by the
next); an append source also misses every month since its first that never came (each file adds its month only),
its first the first a file was loaded for, observed or not (quarantined whole, it holds every month before the next).
A source whose periods are not month-shaped (an sql source's watermark) is not checked; a month-shaped period that
is not a past or current month (a mistyped 2025-13, a 2052-01: loaded before ingestion refused them) counts as no
month loaded, and is named.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_SHAPED = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Lateness:
    latest: str | None  # the latest month loaded, if any
    due: str  # the latest month whose extract is due by today
    missing: tuple[str, ...]  # months due and not loaded, oldest first
    unusable: tuple[str, ...] = ()  # month-shaped periods loaded that are no past or current month


def lateness(
    periods: Iterable[str], load: str, today: date, due_days: int, unobserved: Iterable[str] = ()
) -> Lateness | None:
    """The overdue months of a source that loaded `periods` (None: it loaded periods, none of them a month). An
    append source's months due start at the first it loaded, observed or not (`unobserved`: every row quarantined)."""
    periods = set(periods)
    shaped = {p for p in periods if MONTH_SHAPED.match(p)}
    if not shaped and periods:
        return None
    months = _past_months(shaped, today)
    unusable = tuple(sorted(shaped - {_label(m) for m in months}))
    due = _latest_due(today, due_days)
    if not months:
        return Lateness(None, _label(due), (), unusable)
    if load == "append":
        since = min(months + _past_months(unobserved, today))
    else:
        since = months[-1]
    missing = tuple(_label(m) for m in range(since, due + 1) if m not in months)
    return Lateness(_label(months[-1]), _label(due), missing, unusable)


def not_a_month(period: str) -> bool:
    """A month-shaped period whose month is no month (2025-13, 2025-00): a mistyped file name."""
    return bool(MONTH_SHAPED.match(period)) and not 1 <= int(period[5:]) <= 12


def after_this_month(period: str, today: date) -> bool:
    """A month-shaped period after today's month (2052-01 for 2025-01): a mistyped year, or a partner's clock ahead."""
    return bool(MONTH_SHAPED.match(period)) and period > f"{today:%Y-%m}"


def _past_months(periods: Iterable[str], today: date) -> list[int]:
    """The periods that are a month up to today's, oldest first."""
    usable = (p for p in periods if MONTH_SHAPED.match(p) and not not_a_month(p) and not after_this_month(p, today))
    return sorted(_index(p) for p in usable)


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
