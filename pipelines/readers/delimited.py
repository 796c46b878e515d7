"""CSV of any separator and encoding, as partners export it (French Excel: semicolons, Windows-1252, CRLF).

Rows are numbered from 1 in the order of the file's records, the header not counted and blank lines skipped (a line
of separators only too, as Excel exports a formatted empty row):
source row 1 is the first record after the header (on line 2 of a file without blank lines or line breaks
inside quoted values). Messages about a single row name its physical line too, as a text editor counts it.

Excel exports a cell holding an error (#N/A, #DIV/0!...) as its text: in a column the contract reads, its row is
quarantined as formula_error, as the XLSX reader does. (Excel exports #N/A typed as text the same way: it is read
as the error, for the steward to confirm: retried as it stands, it loads.)
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import Contract
from pipelines.readers.bytes_checks import check_start, python_encoding, undecodable, without_eof_mark
from pipelines.readers.errors import EXCEL_ERRORS, NOT_A_VALUE, FileRejected, Row, RowUnreadable, nul_row
from pipelines.readers.header import check_header


def read_delimited(
    path: Path, contract: Contract, lacking: list[str] | None = None
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    fmt = contract.format
    ending = check_start(path, fmt.encoding)
    try:
        with path.open(encoding=python_encoding(fmt.encoding), newline="") as handle:
            lines = without_eof_mark(handle) if ending.eof_mark else handle
            reader = csv.reader(lines, delimiter=fmt.delimiter, strict=True)
            header = check_header(path, contract, next(reader, []), lacking)
            wanted = {c.name for c in contract.columns}
            # None: every column of the file is the contract's, a row is its fields zipped with the header.
            wanted = None if wanted.issuperset(header) else wanted
            yield from _records(path, reader, header, wanted, fmt.delimiter, ending.newline, excel_errors=True)
    except UnicodeDecodeError:
        raise undecodable(path, fmt.encoding) from None


def _records(
    path: Path,
    reader,
    header: list[str],
    wanted: set[str] | None,
    delimiter: str,
    ends_with_newline: bool,
    excel_errors: bool = False,
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    """`excel_errors`: rows holding Excel's error values are set aside (a partner's CSV, which Excel may have
    written; an HMIS export's files come from its software)."""
    number = 0
    pending: tuple[int, list[str], int] | None = None  # held back one record: only the last may be truncated
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            if pending:
                yield _row(pending, header, wanted, delimiter, excel_errors)
                pending = None
            if "field larger than field limit" in str(exc):
                limit = csv.field_size_limit()
                if reader.line_num > start:  # an open quote ran on over the lines of the rows after it
                    raise FileRejected(
                        "unclosed_quote",
                        f"{path.name}: line {start} opens a quoted value that is never closed, or longer than a field"
                        f" holds (it runs on past line {reader.line_num}, over {limit} characters)",
                    ) from None
                yield (
                    number,
                    RowUnreadable(
                        "field_too_large",
                        f"line {start}: a value of more than {limit} characters, more than a field holds",
                    ),
                )
                continue
            if "unexpected end of data" not in str(exc):
                yield number, RowUnreadable("bad_quoting", f"line {start}: {exc}")
                continue
            if reader.line_num > start:
                raise FileRejected(
                    "unclosed_quote", f"{path.name}: line {start} opens a quoted value that is never closed"
                ) from None
            yield number, RowUnreadable("truncated_row", f"line {start}: the file ends inside a quoted value")
            break
        if no_row(fields, len(header)):
            continue
        number += 1
        if pending:
            yield _row(pending, header, wanted, delimiter, excel_errors)
        pending = (number, fields, start)
    if pending:
        if not ends_with_newline and len(pending[1]) < len(header):
            yield (
                pending[0],
                RowUnreadable(
                    "truncated_row",
                    f"last line: {len(pending[1])} of {len(header)} fields and no line break: the file looks cut off",
                    _fields_read(pending[1], header, delimiter),
                ),
            )
        else:
            yield _row(pending, header, wanted, delimiter, excel_errors)


def no_row(fields: list[str], width: int) -> bool:
    """A blank line is no row, nor one of separators only (Excel's formatted empty rows: ';;;;', the header's `width`
    at least); a shorter one may be a cut-off last line."""
    return not fields or (not fields[0] and len(fields) >= width and not "".join(fields).strip())


def _row(
    record: tuple[int, list[str], int],
    header: list[str],
    wanted: set[str] | None,
    delimiter: str,
    excel_errors: bool,
) -> tuple[int, Row | RowUnreadable]:
    number, fields, line = record
    if len(fields) != len(header):
        message = f"{len(fields)} fields where the header has {len(header)}"
        return number, RowUnreadable("field_count", message, _fields_read(fields, header, delimiter))
    text = "".join(fields)  # one join and substring tests, all in C: the common row pays no more
    if "\x00" in text:
        nul = [name for name, value in zip(header, fields, strict=True) if "\x00" in value]
        nul = [name for name in nul if wanted is None or name in wanted]  # a column never read cannot hurt
        if nul:
            return number, nul_row(f"line {line}", nul)
    if wanted is None:
        row = dict(zip(header, fields, strict=True))
    else:
        row = {name: value for name, value in zip(header, fields, strict=True) if name in wanted}
    if excel_errors and "#" in text:
        errors = [f"{name} {value.strip()}" for name, value in row.items() if value.strip() in EXCEL_ERRORS]
        if errors:
            return number, RowUnreadable("formula_error", f"line {line}: {', '.join(errors)}{NOT_A_VALUE}", row)
    return number, row


def _fields_read(fields: list[str], header: list[str], delimiter: str) -> Row:
    """A row whose fields do not match the header, laid out for the steward to fix: the fields in order, any
    beyond the header's last column kept in it (joined by the delimiter), so nothing the partner sent is lost."""
    laid_out = dict(zip(header, fields, strict=False))
    if len(fields) > len(header):
        laid_out[header[-1]] = delimiter.join(fields[len(header) - 1 :])
    return laid_out
