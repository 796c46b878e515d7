"""Partner order of records spread over persons: by date, then person, then the person's own order.

A partner numbers its records in date order across everybody, so every event source is sorted once
over all persons. Each (date, person, rank) key is packed into one int in a compact array: 8 bytes an
event where a tuple of three objects took over a hundred, which keeps the sort small at scale.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from datetime import date


class DateOrder:
    """(person, rank) of every event, iterated as sorted((dated(event), person, rank)) would order them."""

    def __init__(self, per_person: Sequence[Sequence[object]], dated: Callable[[object], date]) -> None:
        self._persons = max(len(per_person), 1)
        self._width = max((len(events) for events in per_person), default=0) + 1
        self._keys = array(
            "q",
            sorted(
                (dated(event).toordinal() * self._persons + i) * self._width + k
                for i, events in enumerate(per_person)
                for k, event in enumerate(events)
            ),
        )

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        persons, width = self._persons, self._width
        for key in self._keys:
            rest, k = divmod(key, width)
            yield rest % persons, k
