"""Extra broken rows slipped into partner files so that validation and quarantine have work.

Each broken row is a copy of a nearby valid row of the same file, given a fresh id and a fake
identity (so it belongs to nobody in the true world), with exactly one problem. Valid rows are
never changed or dropped; broken rows are inserted at random positions and listed in
ground_truth/invalid_rows.csv by their 1-based data-row number. Positions are drawn as the rows go
(selection sampling), so a file of any size is broken in constant memory.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pipelines.sample.config import InvalidRates

BAD_DATES = {
    "fr": ("31/02/2024", "hier", "30/02/2023", "15/13/2022", "00/00/0000"),
    "iso": ("2024-02-31", "hier", "2023-02-30", "2022-13-15", "31/02/2024"),
}

Row = dict[str, Any]


@dataclass(frozen=True)
class SourceSpec:
    """What can go wrong in one partner file."""

    id_column: str
    date_style: str  # "fr" (dd/mm/yyyy) or "iso"
    required_dates: tuple[str, ...]
    period: tuple[str, str] | None = None  # (start, end) columns that must be ordered
    enum: tuple[str, tuple[str, ...]] | None = None  # (column, values outside the contract)
    empty_id: Any = ""  # how this format writes a missing id


@dataclass(frozen=True)
class InvalidRow:
    source: str
    row_number: int
    record_id: str
    problem: str  # "<code>:<column>", code in empty_id, unparseable_date, end_before_start, unknown_value


def _format(day: date, style: str) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if style == "fr" else day.isoformat()


def _parse(text: str, style: str) -> date:
    if style == "fr":
        dd, mm, yyyy = text.split("/")
        return date(int(yyyy), int(mm), int(dd))
    return date.fromisoformat(text)


def _apply(rng: random.Random, spec: SourceSpec, kind: str, row: Row) -> str:
    """Give `row` the problem `kind` in place and name it."""
    if kind == "empty_id":
        row[spec.id_column] = spec.empty_id
        return f"empty_id:{spec.id_column}"
    if kind == "unparseable_date":
        column = rng.choice(spec.required_dates)
        row[column] = rng.choice(BAD_DATES[spec.date_style])
        return f"unparseable_date:{column}"
    if kind == "unknown_value":
        column, values = spec.enum
        row[column] = rng.choice(values)
        return f"unknown_value:{column}"
    start, end = spec.period
    early = _parse(row[start], spec.date_style) - timedelta(days=rng.randint(1, 60))
    row[end] = _format(early, spec.date_style)
    return f"end_before_start:{end}"


def inject(
    rng: random.Random,
    source: str,
    spec: SourceSpec,
    rows: Iterable[Row],
    valid_count: int,
    rates: InvalidRates,
    new_id: Callable[[int], str],
    disguise: Callable[[Row], Row],
    report: Callable[[InvalidRow], None],
) -> Iterator[Row]:
    """Yield the file's rows with broken ones inserted, telling `report` of each as it goes.

    Rows stream through: a broken row copies the last valid row before it (the first one when it
    comes first). `new_id(i)` gives the i-th unused record id; `disguise(row)` swaps in a fake identity.
    """
    count = max(1, round(valid_count * rates.rate)) if valid_count >= rates.min_rows else 0
    left = valid_count + count  # positions still to fill

    def breaks_next() -> bool:
        """Whether the next position takes a broken row: each of the `count` picks equally likely anywhere."""
        nonlocal left, count
        pick = rng.random() * left < count
        left -= 1
        count -= pick
        return pick

    kinds = ["empty_id"] + (["unparseable_date"] if spec.required_dates else [])
    kinds += ["unknown_value"] if spec.enum else []
    position, made, last, last_ended = 0, 0, None, None

    def broken(template: Row) -> Row:
        # an ordering problem starts from a row whose end is filled (a closed tenancy, say)
        kind = rng.choice(kinds + (["end_before_start"] if last_ended else []))
        nonlocal made
        made += 1
        row = disguise(dict(last_ended if kind == "end_before_start" else template))
        row[spec.id_column] = new_id(made)
        problem = _apply(rng, spec, kind, row)
        report(InvalidRow(source, position, row[spec.id_column] or "", problem))
        return row

    for row in rows:
        while breaks_next():
            position += 1
            yield broken(last or row)
        position += 1
        yield row
        last = row
        if spec.period and row[spec.period[1]]:
            last_ended = row
    for _ in range(left):  # the positions after the last valid row are all broken ones
        position += 1
        yield broken(last)
