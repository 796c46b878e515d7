"""Workbook cells holding no value the partner meant, which openpyxl's streaming read hands on as values: it gives
neither a formula's want of a value nor a cell's type.

A formula cell holds, beside its formula, the value Excel last computed; a workbook written by a library (and never
opened in Excel) has formulas but no values, and its cells read empty: an optional column would load null, silently.
A formula whose result is text, with an empty value (`t="str"` and `<v/>`: Excel's `=IF(A2="","",A2)` showing
nothing), has computed the empty string: it reads empty.

An error value (`t="e"`: #N/A, #DIV/0!, #VALUE!, #REF!, #NAME?, #NUM!, #NULL!: a formula that failed, a lookup that
found nothing) reads as its text, and a text column loaded '#N/A' as if the partner had written it. It stands for a
value the workbook could not give: the row is quarantined, for the partner to fix the formula or the steward to fill
in the value, as a formula without a value is. (Excel reads '#N/A' typed into a cell as the error too: only text
typed with a leading apostrophe is text, and loads as such.)

A sheet whose XML holds either (a byte scan: Excel's and LibreOffice's formulas always hold their value, and most
sheets no error) is read a second time for those cells, and a row with one in a column the contract reads is
quarantined, naming the cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipelines.readers.errors import EXCEL_ERRORS, NOT_A_VALUE, Row, RowUnreadable

# A formula element (<f>…</f>, or a shared formula's <f …/>, with or without a namespace prefix) closing its cell
# with no value after it, or an empty one (<v/>: libraries write it; so does Excel for a text result that is empty,
# t="str", told by the cell's tag). Excel and LibreOffice always write the value: their workbooks are read once.
UNCOMPUTED = re.compile(
    rb"(?:</(?:\w+:)?f>|<(?:\w+:)?f\b[^>]*/>)\s*(<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>"
)
ERROR_TYPED = re.compile(rb"""<(?:\w+:)?c\b[^>]*\st=["']e["']""")
CELL_START = re.compile(rb"<(?:\w+:)?c\b[^>]*>")
TEXT_TYPED = re.compile(rb"""\st=["']str["']""")
TAIL = 512  # bytes kept from one block to the next: a cell's end cut between two reads is found whole


def has_valueless(workbook, sheet) -> bool:
    """Whether the sheet's XML holds a formula with no computed value or an error value, by a byte scan (at the
    speed of reading)."""
    tail = b""
    with _sheet_xml(workbook, sheet) as handle:
        while chunk := handle.read(1 << 20):
            block = tail + chunk
            if (b't="e"' in block or b"t='e'" in block) and ERROR_TYPED.search(block):  # the literal first: fast
                return True
            for match in UNCOMPUTED.finditer(block):
                if not match[1] or not _text_result(block, match.start()):
                    return True
            tail = block[-TAIL:]
    return False


def _text_result(block: bytes, formula_at: int) -> bool:
    """Whether the cell of the formula found at `formula_at` (its <f …/> or </f>) is typed as text (t="str"). Its
    tag is the one before the formula's (f is a cell's first child); cut off from the block: not known, no."""
    opening = block.rfind(b"<", 0, formula_at) if block.startswith(b"</", formula_at) else formula_at
    cell = block.rfind(b"<", 0, opening)
    tag = CELL_START.match(block, cell) if cell >= 0 else None
    return tag is not None and TEXT_TYPED.search(tag[0]) is not None


def valueless_cells(workbook, sheet) -> Iterator[tuple[int, dict[int, str | None]]]:
    """Each row holding cells without a value, as (row number, {0-based column: its error, or None for a formula
    without a computed value}), in order."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
    from openpyxl.xml.functions import iterparse  # openpyxl's parser, defusedxml's where installed

    row, column, found, rows = 0, 0, {}, None
    with _sheet_xml(workbook, sheet) as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag.rpartition("}")[2]
            if event == "start":
                if tag == "row":
                    row, column, found = int(element.get("r") or row + 1), 0, {}
                elif tag == "sheetData":
                    rows = element
                continue
            if tag == "c":
                ref = element.get("r")
                column = column_index_from_string(coordinate_from_string(ref)[0]) if ref else column + 1
                parts = {child.tag.rpartition("}")[2]: child for child in element}
                value = parts.get("v")
                if element.get("t") == "e":
                    error = value.text if value is not None else None
                    found[column - 1] = error if error in EXCEL_ERRORS else "an error value"
                elif "f" in parts and not (value is not None and (bool(value.text) or element.get("t") == "str")):
                    found[column - 1] = None
                element.clear()
            elif tag == "row":
                if found:
                    yield row, found
                rows.clear()  # the rows read: memory stays flat over a million of them


def _sheet_xml(workbook, sheet):
    # openpyxl's own archive and part name (pinned in requirements.lock): no public API gives the sheet's XML
    return workbook._archive.open(sheet._worksheet_path)


def valueless(number: int, cells: list[tuple[int, str, str | None]], row: Row) -> RowUnreadable:
    """The row `number` as unreadable for its `cells` (0-based column, header, error or None)."""
    from openpyxl.utils import get_column_letter

    def named(i: int, name: str) -> str:
        return f"{get_column_letter(i + 1)}{number} ({name})"

    errors = [f"{named(i, name)} {error}" for i, name, error in cells if error]
    uncomputed = [named(i, name) for i, name, error in cells if not error]
    reasons = []
    if errors:
        reasons.append(f"cell(s) {', '.join(errors)}{NOT_A_VALUE}")
    if uncomputed:
        reasons.append(
            f"cell(s) {', '.join(uncomputed)}: a formula with no computed value (the workbook was written by a program"
            " that does not compute formulas): open it in Excel or LibreOffice, save it and send it again, or fill in"
            " the value here"
        )
    return RowUnreadable("formula_error" if errors else "formula_without_value", "; ".join(reasons), row)
