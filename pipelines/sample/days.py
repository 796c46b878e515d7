"""One date object per calendar day for the whole world.

Events hold millions of dates over a few thousand distinct days, so the cache stays small while
sharing one object per day saves a date object (32 bytes) per stored date, at no cost in draws or output.
"""

from __future__ import annotations

from datetime import date

_DAYS: dict[date, date] = {}


def shared(day: date) -> date:
    """The world's date object for `day`."""
    return _DAYS.setdefault(day, day)


def shared_or_none(day: date | None) -> date | None:
    return None if day is None else _DAYS.setdefault(day, day)
