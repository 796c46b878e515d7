"""Readers per file format: each yields (row number, {column: raw string or None}) in file order."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import Contract

Row = dict[str, str | None]


class FileRejected(ValueError):
    """The whole file cannot be read under its contract; `code` is the audit reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class RowUnreadable(ValueError):
    """One row cannot be split into fields; the rest of the file is still read."""


def _csv_rows(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    fmt = contract.format
    # utf-8-sig drops a byte-order mark that Excel writes; it is a no-op without one.
    encoding = "utf-8-sig" if fmt.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else fmt.encoding
    expected = [c.name for c in contract.columns]
    try:
        with path.open(encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=fmt.delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                raise FileRejected("empty_file", f"{path.name}: the file is empty (no header line)")
            header = [h.strip() for h in header]
            missing = [c for c in expected if c not in header]
            if missing:
                hint = ""
                if len(header) == 1 and fmt.delimiter not in header[0]:
                    hint = f" (is the separator '{fmt.delimiter}'?)"
                raise FileRejected(
                    "missing_column",
                    f"{path.name}: missing column(s) {', '.join(missing)} in the header{hint}",
                )
            for number, fields in enumerate(reader, start=1):
                if len(fields) != len(header):
                    yield number, RowUnreadable(f"{len(fields)} fields where the header has {len(header)}")
                    continue
                yield (
                    number,
                    {name: value for name, value in zip(header, fields, strict=True) if name in expected},
                )
    except UnicodeDecodeError as exc:
        raise FileRejected(
            "bad_encoding", f"{path.name}: bytes at offset {exc.start} are not valid {fmt.encoding}"
        ) from None
    except csv.Error as exc:
        raise FileRejected("malformed_csv", f"{path.name}: not a well-formed CSV file ({exc})") from None


def _jsonl_rows(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    expected = [c.name for c in contract.columns]
    try:
        with path.open(encoding="utf-8-sig") as handle:
            number = 0
            for line in handle:
                if not line.strip():
                    continue
                number += 1
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield number, RowUnreadable(f"not valid JSON ({exc.msg} at character {exc.pos})")
                    continue
                if not isinstance(obj, dict):
                    yield number, RowUnreadable("a line must be a JSON object")
                    continue
                yield number, {k: None if obj.get(k) is None else str(obj[k]) for k in expected}
            if number == 0:
                raise FileRejected("empty_file", f"{path.name}: the file is empty")
    except UnicodeDecodeError as exc:
        raise FileRejected("bad_encoding", f"{path.name}: bytes at offset {exc.start} are not valid utf-8") from None


READERS = {"csv": _csv_rows, "jsonl": _jsonl_rows}


def read_rows(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    return READERS[contract.format.type](path, contract)
