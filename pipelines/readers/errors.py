"""What readers hand on: rows of raw strings, and the two ways reading can fail; what rows they set aside share."""

from __future__ import annotations

import zipfile
import zlib

Row = dict[str, str | None]


class FileRejected(ValueError):
    """The whole file cannot be read under its contract; `code` is the audit reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class RowUnreadable(ValueError):
    """One row cannot be split into fields; the rest of the file is still read. `fields`: what could be read of
    it, by column, for the quarantine file, where the steward fixes it in place and retries it."""

    def __init__(self, code: str, message: str, fields: Row | None = None):
        super().__init__(message)
        self.code = code
        self.fields = fields


NUL_ESCAPE = "\\u0000"  # as JSON writes a NUL character: a JSON line without it holds none


def nul_row(where: str, columns: list[str]) -> RowUnreadable:
    """A row holding a NUL character (0x00), which a PostgreSQL text value cannot hold: an export glitch (a
    fixed-width field padded with zero bytes, a binary value pasted in). Only the columns the contract reads
    count: a NUL in a column it leaves is never stored."""
    return RowUnreadable(
        "nul_byte",
        f"{where}: {', '.join(columns)} {'holds' if len(columns) == 1 else 'hold'} a NUL character (byte 0x00),"
        " which the warehouse cannot store",
    )


# Excel's error values (a formula that failed, a lookup that found nothing): a workbook holds them as errors, a CSV
# Excel exported as their text. Either way no value the partner meant.
EXCEL_ERRORS = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
NOT_A_VALUE = (
    ": an Excel error, not a value (a formula that failed, or a lookup that found nothing): correct it in the"
    " workbook and send it again, or fill in the value here"
)


# A ZIP's members (a workbook's parts, an HMIS export's CSV files) are decompressed as they are read: bytes damaged in
# transfer, or cut by an upload writing over the file while it is read (its batch then records nothing: arrival.py),
# fail as one of these.
DAMAGED = (zipfile.BadZipFile, EOFError, zlib.error)


def damaged(code: str, where: str, exc: Exception, what: str) -> FileRejected:
    """`where` (the file, and the part of it) cannot be decompressed: `what` is to be asked for again."""
    return FileRejected(
        code,
        f"{where}: its compressed data is damaged or cut off ({type(exc).__name__}): damaged in transfer? Ask for"
        f" {what} again",
    )
