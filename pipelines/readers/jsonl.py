"""JSON lines: one object per line, UTF-8; keys are column names, a key absent from a line is an empty value.

Exporters often leave out a key with no value, so an optional column may be a key of no line. But a required
column in no line, or a column in no line while a key close to its name is in some, is a missing column, as in a
CSV header: the partner renamed or dropped it, and reading on would quarantine it in every row, or quietly empty
it (a renamed name: rows then link on less). The file is rejected once every line is read (nothing is loaded
before). A column its contract says a file may lack (optional_in_file) in no line is added to `lacking`, for its
batch to say so, unless a key is its name renamed (header.renamed_as; a merely close one is another field).

A JSON number or boolean is typed by JSON itself: it reads as a workbook's numeric or boolean cell does (cells.py),
whatever the contract's decimal mark (which is about text): `3.0` is "3", `2.5` is "2,5" under a ',' contract,
`true` is "true". Numbers are parsed as decimals, so no digit a partner sent is rounded.

A key twice in one object, with two values, makes its row unreadable: JSON parsers keep the last silently, and
which one the partner meant nobody can tell (an exporter that builds lines as text appends a corrected value).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from pipelines.contract import Contract, SourceFormat
from pipelines.readers.bytes_checks import check_start, undecodable, without_eof_mark
from pipelines.readers.cells import cell_text
from pipelines.readers.errors import NUL_ESCAPE, FileRejected, Row, RowUnreadable, nul_row
from pipelines.readers.header import renamed_as, renamed_hint, renamings


def read_jsonl(
    path: Path, contract: Contract, lacking: list[str] | None = None
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    expected = [c.name for c in contract.columns]
    required = {c.name for c in contract.columns if c.required}
    ending = check_start(path, "utf-8")
    keys: set[str] = set()  # every key met, to tell a missing column once the file is read
    number = 0
    pending: tuple[int, str] | None = None  # held back one line: only the last may be truncated
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line_number, line in enumerate(without_eof_mark(handle) if ending.eof_mark else handle, start=1):
                if not line.strip():
                    continue
                if pending:
                    yield number, _parse(*pending, contract.format, expected, keys, truncated=False)
                number += 1
                pending = (line, line_number)
    except UnicodeDecodeError:
        raise undecodable(path, "utf-8") from None
    if pending:
        yield number, _parse(*pending, contract.format, expected, keys, truncated=not ending.newline)
    absent, unknown = [name for name in expected if name not in keys], sorted(keys.difference(expected))
    close, lackable = renamings(absent, unknown), {c.name for c in contract.columns if c.optional_in_file}
    missing = [n for n in absent if (renamed_as(n, unknown) if n in lackable else n in required or n in close)]
    if keys and missing:
        raise FileRejected(
            "missing_column", f"{path.name}: key(s) {', '.join(missing)} in no line{renamed_hint(missing, unknown)}"
        )
    if keys and lacking is not None:
        lacking.extend(c.name for c in contract.columns if c.optional_in_file and c.name in absent)


class _Doubled(dict):
    """An object that named a key twice with two values: `doubled` holds those keys."""

    doubled: set[str]


def _object(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) < len(pairs):
        # by type too: true == 1 in Python, but they are two values
        doubled = {k for k, v in pairs if obj[k] != v or type(obj[k]) is not type(v)}
        if doubled:
            obj = _Doubled(obj)
            obj.doubled = doubled
    return obj


# Decimals for whole numbers too: int() refuses a number of 4,300 digits and more, which stopped the whole file.
DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_float=Decimal, parse_int=Decimal)


def _parse(
    line: str, line_number: int, fmt: SourceFormat, expected: list[str], keys: set[str], truncated: bool
) -> Row | RowUnreadable:
    try:
        obj = DECODER.decode(line)
    except json.JSONDecodeError as exc:
        if truncated:
            return RowUnreadable("truncated_row", f"line {line_number}: the last line is cut off ({exc.msg})")
        return RowUnreadable("invalid_json", f"line {line_number}: not valid JSON ({exc.msg} at character {exc.pos})")
    if not isinstance(obj, dict):
        return RowUnreadable("not_an_object", f"line {line_number}: a line must be a JSON object")
    keys.update(obj)
    doubled = sorted(k for k in getattr(obj, "doubled", ()) if k in expected)  # a key never read is never used
    if doubled:
        return RowUnreadable(
            "duplicate_key", f"line {line_number}: key(s) {', '.join(doubled)} appear twice, with two values"
        )
    nested = sorted(k for k in expected if isinstance(obj.get(k), dict | list))
    if nested:
        return RowUnreadable("nested_value", f"line {line_number}: {', '.join(nested)} hold(s) a list or object")
    row = {k: v if (v := obj.get(k)) is None or type(v) is str else cell_text(v, fmt) for k in expected}
    if NUL_ESCAPE in line:  # a substring test in C; the values only when it hits (a raw NUL is invalid JSON)
        nul = [name for name, value in row.items() if value and "\x00" in value]
        if nul:
            return nul_row(f"line {line_number}", nul)
    return row
