"""JSON lines: one object per line, UTF-8; keys are column names, absent keys are empty values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import Contract
from pipelines.readers.bytes_checks import check_start, undecodable
from pipelines.readers.errors import Row, RowUnreadable


def read_jsonl(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    expected = [c.name for c in contract.columns]
    ends_with_newline = check_start(path, "utf-8")
    number = 0
    pending: tuple[int, str] | None = None  # held back one line: only the last may be truncated
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                if pending:
                    yield number, _parse(*pending, expected, truncated=False)
                number += 1
                pending = (line, line_number)
    except UnicodeDecodeError:
        raise undecodable(path, "utf-8") from None
    if pending:
        yield number, _parse(*pending, expected, truncated=not ends_with_newline)


def _parse(line: str, line_number: int, expected: list[str], truncated: bool) -> Row | RowUnreadable:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        if truncated:
            return RowUnreadable("truncated_row", f"line {line_number}: the last line is cut off ({exc.msg})")
        return RowUnreadable("invalid_json", f"line {line_number}: not valid JSON ({exc.msg} at character {exc.pos})")
    if not isinstance(obj, dict):
        return RowUnreadable("not_an_object", f"line {line_number}: a line must be a JSON object")
    nested = sorted(k for k in expected if isinstance(obj.get(k), dict | list))
    if nested:
        return RowUnreadable("nested_value", f"line {line_number}: {', '.join(nested)} hold(s) a list or object")
    return {k: None if obj.get(k) is None else str(obj[k]) for k in expected}
