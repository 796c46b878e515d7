"""Excel workbooks (XLSX): one named sheet, header on its first row, read in streaming mode.

Cells come typed: dates are written back in the contract's date format and numbers with its decimal mark, so
validation reads an XLSX cell exactly as it would the same value in a CSV export.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import Contract
from pipelines.readers.cells import cell_text
from pipelines.readers.errors import FileRejected, Row, RowUnreadable
from pipelines.readers.header import check_header


def read_xlsx(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    from openpyxl import load_workbook  # only partners who send workbooks need it loaded

    fmt = contract.format
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileRejected("not_xlsx", f"{path.name}: not a readable XLSX workbook ({type(exc).__name__})") from None
    try:
        sheet_name = fmt.sheet or workbook.sheetnames[0]
        if sheet_name not in workbook.sheetnames:
            raise FileRejected(
                "missing_sheet", f"{path.name}: no sheet '{sheet_name}' (sheets: {', '.join(workbook.sheetnames)})"
            )
        cells = workbook[sheet_name].iter_rows(values_only=True)
        first = next(cells, None)
        if first is None:
            raise FileRejected("empty_file", f"{path.name}: sheet '{sheet_name}' is empty")
        header = check_header(path, contract, list(first))
        wanted = {c.name for c in contract.columns}
        number = 0
        for line in cells:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in line):
                continue  # Excel keeps formatted empty rows: they are no rows
            number += 1
            values = list(line) + [None] * (len(header) - len(line))
            if any(v is not None for v in values[len(header) :]):
                yield number, RowUnreadable("field_count", f"values beyond the {len(header)} header columns")
                continue
            yield number, {h: cell_text(v, fmt) for h, v in zip(header, values, strict=False) if h in wanted}
    finally:
        workbook.close()
