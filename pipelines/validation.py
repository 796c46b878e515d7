"""Row validation against a contract: typed values out, or reasons a steward can act on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from pipelines.contract import Column, Contract
from pipelines.readers import Row
from pseudonymisation import normalise

EARLIEST_DATE = date(1900, 1, 1)

# Extracts repeat the same dates and birth dates row after row; parsing each once is a large part of the speed.
birth_date = lru_cache(maxsize=1 << 16)(normalise.birth_date)


@lru_cache(maxsize=1 << 16)
def _strptime(value: str, date_format: str) -> date:
    return datetime.strptime(value, date_format).date()


@dataclass(frozen=True)
class Problem:
    column: str | None
    code: str
    message: str  # may quote the offending value: it goes to the quarantine file only, never to audit or logs


def _parse(column: Column, value: str, contract: Contract, today: date) -> object:
    fmt = contract.format
    if column.role == "birth_date":
        # Identifiers stay raw strings for pseudonymisation, but a birth date nobody can read links nobody.
        if birth_date(value) is None:
            raise _Invalid("invalid_date", f"'{value}' is not a plausible birth date")
        return value
    if column.type == "date":
        try:
            parsed = _strptime(value, fmt.date_format)
        except ValueError:
            raise _Invalid("invalid_date", f"'{value}' is not a date in the form {fmt.date_format}") from None
        if not EARLIEST_DATE <= parsed <= today:
            raise _Invalid("implausible_date", f"{parsed.isoformat()} is before 1900 or in the future")
        return parsed
    if column.type == "integer":
        try:
            whole = int(value)
        except ValueError:
            raise _Invalid("invalid_integer", f"'{value}' is not a whole number") from None
        return _in_range(column, whole)
    if column.type == "decimal":
        try:
            number = Decimal(value.replace(fmt.decimal, ".") if fmt.decimal != "." else value)
        except InvalidOperation:
            raise _Invalid("invalid_decimal", f"'{value}' is not a number with '{fmt.decimal}' decimals") from None
        if not number.is_finite():
            raise _Invalid("invalid_decimal", f"'{value}' is not a finite number")
        return _in_range(column, number)
    return value


def _in_range(column: Column, number: int | Decimal) -> int | Decimal:
    if (column.minimum is not None and number < column.minimum) or (
        column.maximum is not None and number > column.maximum
    ):
        raise _Invalid("out_of_range", f"{number} is outside [{column.minimum}, {column.maximum}]")
    return number


class _Invalid(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def validate_row(row: Row, contract: Contract, today: date) -> tuple[dict[str, object], list[Problem]]:
    """Typed values keyed by source column name, and the problems found (empty when the row is valid)."""
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for column in contract.columns:
        raw = row.get(column.name)
        raw = raw.strip() if raw is not None else None
        if not raw:
            if column.required:
                problems.append(Problem(column.name, "missing_value", "a value is required"))
            values[column.name] = None
            continue
        if column.allowed is not None and raw not in column.allowed:
            problems.append(Problem(column.name, "not_allowed", f"'{raw}' is not one of {', '.join(column.allowed)}"))
            continue
        try:
            values[column.name] = _parse(column, raw, contract, today)
        except _Invalid as exc:
            problems.append(Problem(column.name, exc.code, str(exc)))
    for rule in contract.rules:
        later, earlier = values.get(rule.column), values.get(rule.not_before)
        if later is not None and earlier is not None and later < earlier:
            problems.append(
                Problem(rule.column, "date_order", f"{rule.column} {later} is before {rule.not_before} {earlier}")
            )
    return values, problems
