"""Excel workbooks (XLSX): one named sheet, header on its first row, read in streaming mode.

Rows are numbered as Excel numbers them: source row 5 is the row a steward sees as 5 beside the sheet's cells,
so the header's row is 1 and the first row after it 2, and a blank row in between keeps its number (it is
skipped, not counted out). A CSV export's rows are counted differently (delimited.py): its records from 1 after
the header, blank lines skipped, since a record may span lines; its row messages name the physical line too.

Cells come typed: dates are written back in the contract's date format and numbers with its decimal mark, so
validation reads an XLSX cell exactly as it would the same value in a CSV export. A date cell is a date whatever
its display format: in a date column (`type: date`, or the birth date) a date-time gives its date, its time of
day dropped (an admission at 09:30 happened on that day; requiring midnight would quarantine rows nobody could
fix but by retyping the day), as the FHIR reader does with a dateTime. A time alone stays a time, and is no date.

A cell cannot hold a NUL character: XML 1.0 has none, so a workbook with one (a raw 0x00 byte or `&#0;` in its
XML, from a broken export) is not well-formed, and the whole file is rejected by name. An OLE2 compound file (an
Excel 97-2003 .xls renamed .xlsx, or an XLSX saved with a password, which Excel encrypts into one) is told as such.
A workbook is read by its contents whatever its name (openpyxl would refuse one not named .xlsx), and one whose
stylesheet is malformed (a broken export's), or whose sheet's compressed data is damaged, is rejected by name too.

A cell holding no value the partner meant (a formula without a computed value, or an Excel error such as #N/A)
quarantines its row when the contract reads its column, naming the cell: see xlsx_formulas.py.
"""

from __future__ import annotations

import traceback
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pipelines.contract import Contract
from pipelines.readers.cells import cell_text
from pipelines.readers.errors import DAMAGED, FileRejected, Row, RowUnreadable, damaged
from pipelines.readers.header import check_header
from pipelines.readers.xlsx_formulas import has_valueless, valueless, valueless_cells

HEADER_ROW = 1
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")  # the compound file's signature


def read_xlsx(
    path: Path, contract: Contract, lacking: list[str] | None = None
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    # Opened here, not by name: openpyxl refuses a name without an .xlsx-type extension, and the contract, not the
    # name a file was saved or retried under, says what it holds.
    with path.open("rb") as handle:
        workbook = _load(path, handle)
        try:
            yield from _rows(path, contract, workbook, lacking)
        finally:
            workbook.close()


def _load(path: Path, handle: BinaryIO):
    from openpyxl import load_workbook  # only partners who send workbooks need it loaded

    try:
        return load_workbook(handle, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        handle.seek(0)
        if handle.read(len(OLE2)) == OLE2:
            raise FileRejected(
                "not_xlsx",
                f"{path.name}: an Excel 97-2003 (.xls) workbook or a password-protected one, which abord cannot"
                " read: save it as an .xlsx workbook without a password",
            ) from None
        raise FileRejected("not_xlsx", f"{path.name}: not a readable XLSX workbook ({type(exc).__name__})") from None
    except (EOFError, zlib.error) as exc:  # a part read at load (the stylesheet, the shared strings)
        raise damaged("malformed_xlsx", path.name, exc, "the workbook") from None
    except SyntaxError as exc:  # ElementTree's ParseError (lxml's too): the shared strings are read at load
        raise _malformed(path, "its shared strings", exc) from None
    except TypeError as exc:  # openpyxl's typed attributes: a part holding a value of the wrong type, or none
        styles = any("/openpyxl/styles/" in frame.filename for frame in traceback.extract_tb(exc.__traceback__))
        raise FileRejected(
            "malformed_xlsx",
            f"{path.name}: {'its stylesheet' if styles else 'a part of it'} is malformed (an attribute of the wrong"
            " type, or a required one missing): open the workbook in Excel or LibreOffice, save it and send it again",
        ) from None


def _rows(
    path: Path, contract: Contract, workbook, lacking: list[str] | None
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    fmt = contract.format
    sheet_name = fmt.sheet or workbook.sheetnames[0]
    if sheet_name not in workbook.sheetnames:
        raise FileRejected(
            "missing_sheet", f"{path.name}: no sheet '{sheet_name}' (sheets: {', '.join(workbook.sheetnames)})"
        )
    # Streaming, openpyxl hands the rows absent from the file (never written to) as empty ones: the n-th row it
    # gives from row 1 is the sheet's row n, so counting them gives Excel's row numbers.
    sheet = workbook[sheet_name]
    cells = sheet.iter_rows(min_row=HEADER_ROW, values_only=True)
    formulas = iter(())
    try:
        if has_valueless(workbook, sheet):
            formulas = valueless_cells(workbook, sheet)
        first = next(cells, None)
        if first is None:
            raise FileRejected("empty_file", f"{path.name}: sheet '{sheet_name}' is empty")
        header = check_header(path, contract, list(first), lacking)
        wanted = {c.name for c in contract.columns}
        read = [i for i, h in enumerate(header) if h in wanted]
        dates = {c.name for c in contract.columns if c.type == "date" or c.role == "birth_date"}
        flagged = next(formulas, None)  # the next row holding cells without a value, and its columns
        for number, line in enumerate(cells, start=HEADER_ROW + 1):
            while flagged is not None and flagged[0] < number:
                flagged = next(formulas, None)
            unvalued = [i for i in read if i in flagged[1]] if flagged is not None and flagged[0] == number else []
            if not unvalued and all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
                continue  # Excel keeps formatted empty rows: they are no rows
            values = list(line) + [None] * (len(header) - len(line))
            if any(v is not None for v in values[len(header) :]):
                yield number, RowUnreadable("field_count", f"values beyond the {len(header)} header columns")
                continue
            row = {
                h: cell_text(v, fmt, date_column=h in dates)
                for h, v in zip(header, values, strict=False)
                if h in wanted
            }
            if unvalued:
                yield number, valueless(number, [(i, header[i], flagged[1][i]) for i in unvalued], row)
                continue
            yield number, row
    except SyntaxError as exc:  # the sheet's XML, parsed as it streams
        raise _malformed(path, f"sheet '{sheet_name}'", exc) from None
    except DAMAGED as exc:
        raise damaged("malformed_xlsx", f"{path.name}: sheet '{sheet_name}'", exc, "the workbook") from None
    finally:
        if hasattr(formulas, "close"):
            formulas.close()


def _malformed(path: Path, part: str, exc: SyntaxError) -> FileRejected:
    return FileRejected(
        "malformed_xlsx",
        f"{path.name}: {part}: not well-formed XML ({exc}): a NUL or another control character, which a workbook"
        " cannot hold? Export the workbook again",
    )
