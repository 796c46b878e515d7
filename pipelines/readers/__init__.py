"""Readers per file format: each yields (row number, {column: raw string or None} or RowUnreadable) in file order.

A reader raises FileRejected when the file as a whole cannot be read under its contract (wrong encoding,
separator, missing column...); a single broken row becomes a RowUnreadable and the rest is still read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

from pipelines.contract import LACKABLE_FORMATS, Contract
from pipelines.readers.delimited import read_delimited
from pipelines.readers.errors import FileRejected, Row, RowUnreadable
from pipelines.readers.fhir import patient_file, read_fhir
from pipelines.readers.hmis import read_hmis
from pipelines.readers.jsonl import read_jsonl
from pipelines.readers.xlsx import read_xlsx

Reader = Callable[[Path, Contract], Iterator[tuple[int, Row | RowUnreadable]]]
# An sql source's pulls are written to landing as JSON lines (pipelines/sql_pull.py), then read like any file:
# a column its table lacks (optional_in_file) is a key of no line.
READERS: dict[str, Reader] = {
    "csv": read_delimited,
    "jsonl": read_jsonl,
    "xlsx": read_xlsx,
    "fhir": read_fhir,
    "sql": read_jsonl,
    "hmis": read_hmis,
}

__all__ = ["READERS", "FileRejected", "Row", "RowUnreadable", "read_beside", "read_rows"]


def read_beside(path: Path, contract: Contract) -> tuple[Path, ...]:
    """The files a batch of `path` reads with it, which its sha256 and its arrival check cover too: a FHIR export's
    Patient file."""
    return (patient_file(path, contract),) if contract.format.type == "fhir" else ()


def read_rows(
    path: Path, contract: Contract, lacking: list[str] | None = None
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    """`lacking` receives the columns the file lacks that its contract says it may (optional_in_file), once the
    reader knows them: at the header, or once every JSON line is read."""
    if not path.is_file():
        raise FileRejected("not_a_file", f"{path.name}: no such file")
    absent = [c.name for c in contract.columns if c.absent]
    codes = {c.name: dict(c.codes) for c in contract.columns if c.codes}
    read = READERS[contract.format.type]
    if lacking is not None and contract.format.type in LACKABLE_FORMATS:
        read = partial(read, lacking=lacking)
    if not absent and not codes:
        return read(path, contract)
    sent = replace(contract, columns=tuple(c for c in contract.columns if not c.absent))
    return _recoded(read(path, sent), absent, codes)


def _recoded(rows, absent: list[str], codes: dict[str, dict[str, str]]) -> Iterator[tuple[int, Row | RowUnreadable]]:
    """Rows with the contract's values for the partner's codes (an unknown code stays, for `allowed` to name it)
    and its absent columns empty."""
    for number, row in rows:
        if not isinstance(row, RowUnreadable):
            for name, table in codes.items():
                value = row.get(name)
                row[name] = table.get(value.strip(), value) if value is not None else None
            row.update(dict.fromkeys(absent))
        yield number, row
