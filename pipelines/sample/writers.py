"""File formats the partners use, written byte for byte the same on every platform.

Files are opened with newline="" and the line end is passed to the csv writer explicitly, so the
output never depends on the operating system.
"""

from __future__ import annotations

import csv
import functools
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileStyle:
    """How a partner's system writes a file."""

    kind: str  # csv | jsonl
    delimiter: str = ","
    encoding: str = "utf-8"
    line_end: str = "\n"


# semicolons, Windows-1252 (what French Excel writes: latin-1 plus €, ’, œ... in its 0x80-0x9F), CRLF
FRENCH_EXCEL = FileStyle("csv", ";", "cp1252", "\r\n")
PLAIN_CSV = FileStyle("csv")
SEMICOLON_CSV = FileStyle("csv", ";")
JSONL = FileStyle("jsonl")


@functools.lru_cache(maxsize=1 << 16)  # a few thousand distinct days fill millions of rows
def french_date(day: date | None) -> str:
    return "" if day is None else f"{day.day:02d}/{day.month:02d}/{day.year}"


def iso_date(day: date | None) -> str:
    return "" if day is None else day.isoformat()


def french_decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Mapping[str, str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    line_end: str = "\n",
) -> None:
    """CSV with minimal quoting; a value that cannot be encoded raises rather than being mangled."""
    # one C call per row instead of a comprehension over the columns; itemgetter of one key is no tuple
    pick = operator.itemgetter(*header) if len(header) > 1 else lambda row: (row[header[0]],)
    write_table(path, header, map(pick, rows), delimiter=delimiter, encoding=encoding, line_end=line_end)


def write_table(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    line_end: str = "\n",
) -> None:
    """Like write_csv, for rows that are already in the header's column order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, errors="strict", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator=line_end)
        writer.writerow(header)
        writer.writerows(rows)


def write_file(path: Path, style: FileStyle, header: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """Write rows as they come, so a file never has to be held in memory."""
    if style.kind == "jsonl":
        write_jsonl(path, rows)
    else:
        write_csv(path, header, rows, delimiter=style.delimiter, encoding=style.encoding, line_end=style.line_end)


def write_jsonl(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    """One JSON object per line, UTF-8, keys in insertion order, "\\n" line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
