"""Quarantine files beside the landing zone: the rejected rows as sent, one line each with its reasons.

The steward fixes the values in place and re-submits the file (`abord quarantine retry FILE`); the fixed rows
keep their source row numbers. These files may hold identifiers: they never reach the warehouse or a log.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pipelines.readers import Row
from pipelines.validation import Problem

HEADER = ["source_row", "column", "reason_code", "message"]
SUFFIX = ".rejected.csv"
FILE_ROW = 0  # the source row of a reason that concerns the whole file


@dataclass
class Rejected:
    source_row: int
    problems: list[Problem]
    row: Row | None  # None when the row could not even be split into fields


def quarantine_path(quarantine_dir: Path, source: str, file_name: str) -> Path:
    return quarantine_dir / source / f"{file_name}{SUFFIX}"


def original_name(path: Path) -> str:
    """The landing file name a quarantine file was written for."""
    return path.name.removesuffix(SUFFIX)


def write_quarantine(path: Path, rejected: list[Rejected], columns: list[str]) -> Path:
    """Write to a temporary name; the caller renames it into place once the batch has committed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + columns)
        for item in rejected:
            problems = item.problems
            writer.writerow(
                [
                    item.source_row,
                    "; ".join(p.column or "" for p in problems),
                    "; ".join(p.code for p in problems),
                    "; ".join(p.message for p in problems),
                    *[(item.row or {}).get(c) or "" for c in columns],
                ]
            )
    return temporary


def read_quarantine(path: Path) -> Iterator[tuple[int, Row]]:
    """The rows of a quarantine file as the steward left them, under their source row numbers."""
    with path.open(encoding="utf-8", newline="") as handle:
        for line in csv.DictReader(handle):
            number = int(line.pop("source_row"))
            if number != FILE_ROW:
                yield number, {k: v for k, v in line.items() if k not in HEADER}


def reasons_in(path: Path) -> list[tuple[int, str, str]]:
    """(source row, reason codes, message) per line, for showing a steward."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [(int(r["source_row"]), r["reason_code"], r["message"]) for r in csv.DictReader(handle)]
