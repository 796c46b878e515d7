"""Typed cells (a workbook's, a database's, a JSON line's) as the text a CSV export would hold, in the contract's
formats: a number typed as one (not text) is written with the contract's decimal mark, which validation then reads,
so the mark, about text, never rejects it; a whole number (3.0, 3.00) is written whole, as an integer column reads
it; a boolean is `true` or `false`, the words a contract's `allowed` lists."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pipelines.contract import SourceFormat

MAX_POSITIONAL_DIGITS = 200_000  # past PostgreSQL numeric's 131,072 digits before the point and 16,383 after


def cell_text(value: object, fmt: SourceFormat, *, date_column: bool = False) -> str | None:
    """`date_column`: the contract reads the value as a date, so a date-time gives its date, whatever its time of
    day; elsewhere a date-time keeps its time unless it is midnight (a date typed into a date-time cell)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if date_column or value.time() == time():
            return value.strftime(fmt.date_format)
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.strftime(fmt.date_format)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
        return text.replace(".", fmt.decimal)
    if isinstance(value, Decimal):
        # Positional, as a CSV holds it (JSON's 1e2 is 100, 2.5E-3 is 0.0025), unless the exponent is past what any
        # column holds: written out it would be millions of digits, and validation refuses it as it stands.
        text = format(value, "f") if abs(value.adjusted()) < MAX_POSITIONAL_DIGITS else str(value)
        if "." in text and "E" not in text and value == value.to_integral_value():
            text = text.rstrip("0").rstrip(".")  # 3.00 is whole; by text, as int() refuses 4,300 digits and more
        return text.replace(".", fmt.decimal)
    return str(value)
