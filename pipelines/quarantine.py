"""Quarantine files beside the landing zone: the rejected rows as sent, with a reason per row."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipelines.readers import Row
from pipelines.validation import Problem

HEADER = ["source_row", "column", "reason_code", "message"]


@dataclass
class Rejected:
    source_row: int
    problems: list[Problem]
    row: Row | None  # None when the row could not even be split into fields


def quarantine_path(quarantine_dir: Path, source: str, file_name: str) -> Path:
    return quarantine_dir / source / f"{file_name}.rejected.csv"


def write_quarantine(path: Path, rejected: list[Rejected], columns: list[str]) -> Path:
    """Write to a temporary name; the caller renames it into place once the batch has committed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".partial")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + columns)
        for item in rejected:
            original = [(item.row or {}).get(c) or "" for c in columns]
            for problem in item.problems:
                writer.writerow([item.source_row, problem.column or "", problem.code, problem.message, *original])
    return temporary
