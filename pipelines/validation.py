"""Row validation against a contract: typed values out, or reasons a steward can act on."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial

from pipelines.contract import Column, Contract
from pipelines.readers import Row
from pseudonymisation import normalise

EARLIEST_DATE = date(1900, 1, 1)
# What the raw table's column holds (raw_tables.SQL_TYPES): a value past it stopped the whole load at its COPY.
BIGINT = (-(1 << 63), (1 << 63) - 1)
NUMERIC_DIGITS_BEFORE, NUMERIC_DIGITS_AFTER = 131072, 16383
MEMO_SIZE = 1 << 16
# Thousands grouped by spaces, as French Excel writes a number formatted with them ('1 234,50': a no-break space
# U+00A0, the narrow one U+202F in recent Windows, or a plain space). A space is never a decimal mark, so digits
# grouped by three read as the number they show; a '.' or ',' grouping is another matter (see _decimal).
SPACE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?")
GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f")

# Extracts repeat the same dates and birth dates row after row; parsing each once is a large part of the speed.
# Called with the programme's day (a date is in the future by its calendar), which keys the cache too: a process
# running past midnight never reuses yesterday's answer.
full_birth_date = lru_cache(maxsize=1 << 16)(normalise.birth_date)

# A FHIR birthDate may be a year or a year and month ("1980", "1975-06"): valid FHIR, and all the hospital holds,
# so no steward could ever fix it. Such a row is loaded, not quarantined (which would lose it for good): the raw
# table keeps its birth year, as it keeps only the year of a whole date; the link keys needing a whole date
# (names, phone + birth date) and the typo-tolerant encoding are not formed from it, as for a row with no birth date,
# and the person links by what remains (NIR, e-mail). Never completed to a whole date: a made-up 1 January would
# link people who share a name and a year. Other formats read a partial date as invalid: their contract's date
# format says the partner sends whole dates, and the steward can ask for one.
FHIR_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2]))?")


@lru_cache(maxsize=1 << 16)
def birth_date(value: str | None, today: date) -> str | None:
    """A plausible birth date as ISO "YYYY-MM-DD", or a plausible FHIR partial one as sent, else None."""
    whole = full_birth_date(value, today)
    if whole is not None or not isinstance(value, str):
        return whole
    partial = FHIR_PARTIAL_DATE.fullmatch(value.strip())
    if partial is None:
        return None
    year, month = int(partial[1]), int(partial[2] or 1)
    return value.strip() if EARLIEST_DATE.year <= year and (year, month) <= (today.year, today.month) else None


@lru_cache(maxsize=1 << 16)
def _strptime(value: str, date_format: str) -> date:
    return datetime.strptime(value, date_format).date()


@dataclass(frozen=True)
class Problem:
    column: str | None
    code: str
    message: str  # may quote the offending value: it goes to the quarantine file only, never to audit or logs


def _parser(column: Column, contract: Contract, today: date) -> Callable[[str], object] | None:
    """How a column's stripped, non-empty value becomes typed (None: it stays the string), chosen once per
    batch rather than once per cell."""
    fmt = contract.format
    if column.role == "birth_date":
        return _memoised(partial(_birth_date, birth_date if fmt.type == "fhir" else full_birth_date, today))
    if column.type == "date":
        return _memoised(partial(_date, fmt.date_format, today))
    if column.type == "integer":
        return partial(_integer, column)
    if column.type == "decimal":
        return partial(_decimal, column, fmt.decimal)
    if column.pattern is not None:  # ASCII: \d is 0-9, as the models' casts read
        return partial(_matching, re.compile(column.pattern, re.ASCII), column.pattern)
    return None


def _matching(pattern: re.Pattern, source: str, value: str) -> str:
    if pattern.fullmatch(value) is None:
        raise _Invalid("invalid_format", f"'{value}' does not have the contract's form ({source})")
    return value


def _memoised(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Dates repeat row after row (a night, a birth date): a batch parses each distinct one once. An invalid
    value is not remembered: it raises each time, as it should."""
    memo: dict[str, object] = {}

    def parse_once(value: str) -> object:
        typed = memo.get(value)
        if typed is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            typed = memo[value] = parse(value)
        return typed

    return parse_once


def _birth_date(plausible: Callable[[str, date], str | None], today: date, value: str) -> str:
    # Identifiers stay raw strings for pseudonymisation, but a birth date nobody can read links nobody.
    if plausible(value, today) is None:
        raise _Invalid("invalid_date", f"'{value}' is not a plausible birth date")
    return value


def _date(date_format: str, today: date, value: str) -> date:
    parsed = read_date(value, date_format)
    if parsed is None:
        raise _Invalid("invalid_date", f"'{value}' is not a date in the form {date_format}")
    if not EARLIEST_DATE <= parsed <= today:
        raise _Invalid("implausible_date", f"{parsed.isoformat()} is before 1900 or in the future")
    return parsed


def read_date(value: str, date_format: str) -> date | None:
    """`value` as a date in `date_format`, or as the date of a date-time written so; None when it is neither."""
    try:
        return _strptime(value, date_format)
    except ValueError:
        return _date_of_date_time(value, date_format)


def _date_of_date_time(value: str, date_format: str) -> date | None:
    """The date of a date-time ('03/02/2021 00:00:00', as Access and database exports write a date), whatever its
    time of day, as the readers take a typed date-time's (an admission at 09:30 happened on that day); tried only
    once the plain date failed, so plain dates keep their fast path. Anything but a time after the date: None."""
    time_of_day = normalise.TIME_OF_DAY.search(value)
    if time_of_day is None or time_of_day.start() == 0:
        return None
    try:
        return _strptime(value[: time_of_day.start()], date_format)
    except ValueError:
        return None


def without_group_spaces(value: str) -> str:
    """A number's digits without the spaces grouping them by three ('1 234,50' is '1234,50'); else `value` as it is."""
    return value.translate(GROUP_SPACES) if SPACE_GROUPED.fullmatch(value) else value


def _integer(column: Column, value: str, written: str | None = None) -> int:
    """`written`: the value as the partner wrote it ('1 234'), which messages quote, when `value` is its digits."""
    try:
        whole = int(value)
    except ValueError:
        if (digits := without_group_spaces(value)) != value:
            return _integer(column, digits, value)
        if re.fullmatch(r"\s*[+-]?[0-9]+\s*", value):  # whole, past the 4,300 digits int() reads (JSON's 1e5000)
            raise _beyond_bigint(written or value) from None
        raise _Invalid("invalid_integer", f"'{written or value}' is not a whole number") from None
    if not BIGINT[0] <= whole <= BIGINT[1]:
        raise _beyond_bigint(written or value)
    return _in_range(column, whole)


def _beyond_bigint(value: str) -> _Invalid:
    return _Invalid("out_of_range", f"'{_cut(value)}' is beyond what a whole-number column holds (19 digits)")


def _decimal(column: Column, decimal_mark: str, value: str, written: str | None = None) -> Decimal:
    """`written`: as in _integer."""
    if decimal_mark == "," and "." in value:  # '1.234' is 1234 with a thousands separator, never 1.234
        raise _Invalid("invalid_decimal", f"'{value}' is not a number with ',' decimals ('.' a thousands separator?)")
    try:
        number = Decimal(value.replace(decimal_mark, ".") if decimal_mark != "." else value)
    except InvalidOperation:
        if (digits := without_group_spaces(value)) != value:
            return _decimal(column, decimal_mark, digits, value)
        shown = written or value
        raise _Invalid("invalid_decimal", f"'{shown}' is not a number with '{decimal_mark}' decimals") from None
    if not number.is_finite():
        raise _Invalid("invalid_decimal", f"'{value}' is not a finite number")
    if number.adjusted() >= NUMERIC_DIGITS_BEFORE or number.as_tuple().exponent < -NUMERIC_DIGITS_AFTER:
        raise _Invalid(
            "out_of_range",
            f"'{_cut(written or value)}' is beyond what a decimal column holds"
            f" ({NUMERIC_DIGITS_BEFORE} digits before the decimal mark, {NUMERIC_DIGITS_AFTER} after)",
        )
    return _in_range(column, number)


def _cut(value: str) -> str:
    """A number too long to hold, as a message quotes it: a typed 1e-20000 is written out in 20,002 characters."""
    return value if len(value) <= 30 else f"{value[:25]}…({len(value)} characters)"


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


class RowValidator:
    """Validation of rows against one contract on one day; what depends on the column alone is decided once."""

    def __init__(self, contract: Contract, today: date):
        self.columns = [
            (
                c.name,
                c.required,
                None if c.allowed is None else frozenset(c.allowed),
                ", ".join(c.allowed or ()),
                _parser(c, contract, today),
            )
            for c in contract.columns
        ]
        self.rules = [(rule.column, rule.not_before) for rule in contract.rules]

    def __call__(self, row: Row) -> tuple[dict[str, object], list[Problem]]:
        """Typed values keyed by source column name, and the problems found (empty when the row is valid)."""
        values: dict[str, object] = {}
        problems: list[Problem] = []
        for name, required, allowed, listed, parse in self.columns:
            raw = row.get(name)
            if raw is not None:
                raw = raw.strip()
            if not raw:
                if required:
                    problems.append(Problem(name, "missing_value", "a value is required"))
                values[name] = None
                continue
            if allowed is not None and raw not in allowed:
                problems.append(Problem(name, "not_allowed", f"'{raw}' is not one of {listed}"))
                continue
            if parse is None:
                values[name] = raw
                continue
            try:
                values[name] = parse(raw)
            except _Invalid as exc:
                problems.append(Problem(name, exc.code, str(exc)))
        for column, not_before in self.rules:
            later, earlier = values.get(column), values.get(not_before)
            if later is not None and earlier is not None and later < earlier:
                problems.append(Problem(column, "date_order", f"{column} {later} is before {not_before} {earlier}"))
        return values, problems


def validate_row(row: Row, contract: Contract, today: date) -> tuple[dict[str, object], list[Problem]]:
    """Typed values keyed by source column name, and the problems found (empty when the row is valid)."""
    return RowValidator(contract, today)(row)
