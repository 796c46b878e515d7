"""Typed cells (a workbook's, a database's) as the text a CSV export would hold, in the contract's formats."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

from pipelines.contract import SourceFormat


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
        return str(value).replace(".", fmt.decimal)
    return str(value)
