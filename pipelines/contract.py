"""Source contracts: one YAML per partner source says how to read, check and pseudonymise its extracts."""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cached_property
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent / "contracts"
# A variant is a sub-folder of contracts (contracts/hmis/...) whose files stand in for the same-named contracts:
# the same source, the same raw table, read from another format. A deployment picks its variants here.
VARIANTS_ENV = "ABORD_CONTRACT_VARIANTS"

# Identifier roles are consumed by pseudonymisation and never stored. A national_id is a US social security
# number (HMIS exports): a link key when whole, like the NIR. A postcode helps tell look-alikes apart in linkage
# and is stored only as its département (like a birth date as its year).
IDENTIFIER_ROLES = {"given_name", "family_name", "birth_date", "nir", "phone", "email", "national_id", "postcode"}
ROLES = IDENTIFIER_ROLES | {"record_id", "person_ref", "free_text", "attribute"}
TYPES = {"text", "date", "integer", "decimal"}
FORMATS = {"csv", "jsonl", "xlsx", "fhir", "sql", "hmis"}
# snapshot: each file is the whole state at its period, the latest period is current;
# append: each file adds its period's records, every period is current. Both: a re-sent period replaces it.
LOAD_MODES = {"snapshot", "append"}
# A month's extract is due this many days after the month ends, unless the contract says otherwise (due_days).
DUE_DAYS = 30
TOP_LEVEL_KEYS = {
    "name",
    "partner",
    "description",
    "file_pattern",
    "period_pattern",
    "load",
    "due_days",
    "format",
    "columns",
    "rules",
}
COLUMN_KEYS = {
    "name",
    "role",
    "type",
    "required",
    "unique",
    "allowed",
    "as",
    "ref_source",
    "min",
    "max",
    "codes",
    "absent",
    "optional_in_file",
    "pattern",
}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# The raw table's own columns (pipelines/raw_tables.py): a stored column may not take one of their names.
RAW_OWN_COLUMNS = {"batch_id", "source_row", "record_ref", "person_key", "birth_year", "departement", "row_version"}
# PostgreSQL's reserved words (and those that can only be a function or type name): the raw table's DDL does
# not quote its column names, so none of them can be one.
SQL_RESERVED = set(
    """all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate
    collation column concurrently constraint create cross current_catalog current_date current_role
    current_schema current_time current_timestamp current_user default deferrable desc distinct do else end
    except false fetch for foreign freeze from full grant group having ilike in initially inner intersect into
    is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
    only or order outer overlaps placing primary references returning right select session_user similar some
    symmetric system_user table tablesample then to trailing true union unique user using variadic verbose when
    where window with""".split()
)
SQL_NAME_MAX = 63  # PostgreSQL truncates longer names: two of them could become one
# The format keys each format type reads, beyond its type, its decimal mark and its date format (validation reads
# every source's numbers and dates with them). The others read UTF-8 whatever `encoding` says.
FORMAT_KEYS = {
    "csv": {"delimiter", "encoding"},
    "jsonl": set(),
    "xlsx": {"sheet"},
    "fhir": {"resource"},
    "sql": {"table", "watermark", "url_env"},
    "hmis": {"resource"},
}
# The formats whose files name their columns (a header, a JSON line's keys, an sql table's columns): a file or table
# of one may lack a column its contract declares `optional_in_file` (a column the project added, which a partner's
# export or table does not have yet). An HMIS export holds its version's whole column set (a field it never has is
# `absent`), and a FHIR path a resource lacks reads empty anyway.
LACKABLE_FORMATS = {"csv", "jsonl", "sql", "xlsx"}
# An HMIS column is <File>.<Column>; <File>.<A>+<B> joins two columns of a row as "a+b" for one code list.
HMIS_COLUMN_RE = re.compile(r"^[A-Z][A-Za-z]*\.[A-Za-z]\w*(\+[A-Za-z]\w*)*$")


class ContractError(ValueError):
    """A contract file that cannot be used; the message names the file and the key."""


# A field added to Column, Rule, SourceFormat or Contract needs a plain default meaning what contracts said before
# it: the fingerprint writes it only when a contract sets it otherwise (contract_fingerprint.py; FIRST_FIELDS does
# not grow), so files rejected under an unchanged contract are not read and recorded again after an upgrade.
@dataclass(frozen=True)
class Column:
    name: str
    role: str = "attribute"
    type: str = "text"
    required: bool = False
    unique: bool = False
    allowed: tuple[str, ...] | None = None
    target: str | None = None  # the column name in raw (`as:` in YAML)
    ref_source: str | None = None
    minimum: float | None = None  # inclusive bounds of an integer or decimal column
    maximum: float | None = None
    # the partner's code -> the contract's value, applied when read; in an hmis source, on a column of its
    # format.resource, a null value marks records that are not rows of it (bed nights among support contacts)
    codes: tuple[tuple[str, str | None], ...] = ()
    absent: bool = False  # the format has no such field: always empty, kept so the raw table has one shape
    # a partner's file or table may lack it: loaded empty then, its batch saying so (a renamed one is still refused)
    optional_in_file: bool = False
    pattern: str | None = None  # a text column's whole value must match it (a code the models take apart)

    @property
    def stored(self) -> bool:
        """Whether a (possibly transformed) value of this column reaches the warehouse: a record id only when its
        contract names it (`as:`), beside its keyed reference, for a source with no persons (a clause's id)."""
        return self.role in {"attribute", "free_text"} or (self.role == "record_id" and self.target is not None)


@dataclass(frozen=True)
class Rule:
    column: str
    not_before: str


@dataclass(frozen=True)
class SourceFormat:
    type: str
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    date_format: str = "%Y-%m-%d"
    sheet: str | None = None  # the named sheet of an XLSX workbook (default: its first)
    resource: str | None = None  # the FHIR resource type (default: Encounter) or the HMIS CSV file a row is
    table: str | None = None  # sql: the partner's [schema.]table...
    watermark: str | None = None  # ...pulled by this ever-increasing column (integer, date or timestamp)...
    url_env: str | None = None  # ...from the database whose SQLAlchemy URL is in this environment variable


@dataclass(frozen=True)
class Contract:
    name: str
    partner: str
    description: str
    file_pattern: str
    period_pattern: str
    format: SourceFormat
    columns: tuple[Column, ...]
    rules: tuple[Rule, ...] = field(default=())
    load: str = "snapshot"
    # orchestration's extracts_on_time check: which months are overdue. Not how a file is read: left out of the
    # contract's fingerprint (contract_fingerprint.py), which would read every rejected file again when it changes.
    due_days: int | None = field(default=DUE_DAYS, repr=False, compare=False)
    path: Path | None = field(default=None, compare=False)

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @cached_property  # read once per row: computed once per contract
    def record_id(self) -> Column:
        return next(c for c in self.columns if c.role == "record_id")

    @cached_property
    def is_person_level(self) -> bool:
        return any(c.role in IDENTIFIER_ROLES | {"person_ref"} for c in self.columns)

    @cached_property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def period_of(self, file_name: str) -> str | None:
        match = re.search(self.period_pattern, file_name)
        return match.group(1) if match else None


def _require(data: dict, key: str, where: str) -> object:
    if key not in data or data[key] in (None, ""):
        raise ContractError(f"{where}: missing required key '{key}'")
    return data[key]


def _no_unknown_keys(data: dict, known: set[str], where: str) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        listed = ", ".join(map(repr, unknown))
        raise ContractError(f"{where} has an unknown key {listed} (known: {', '.join(sorted(known))})")


def _text(data: dict, key: str, where: str, required: bool = True) -> str:
    value = _require(data, key, where) if required else data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ContractError(f"{where}: '{key}' must be a string, got {value!r}")
    return value


def _flag(raw: dict, key: str, where: str) -> bool:
    """A YAML boolean: a quoted "false" is a string, and bool() of it would be true."""
    value = raw.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ContractError(f"{where}: '{key}' must be true or false (unquoted), got {value!r}")
    return value


def _scalar(value: object) -> bool:
    """A value a contract may compare a cell with: YAML's yes/no/on/off/true/false are booleans, not text."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _bound(raw: dict, key: str, type_: str, where: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if type_ not in {"integer", "decimal"} or isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"{where}: '{key}' must be a number on an integer or decimal column, got {value!r}")
    return value


def _allowed(raw: dict, where: str) -> tuple[str, ...] | None:
    allowed = raw.get("allowed")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not allowed or not all(_scalar(a) or isinstance(a, bool) for a in allowed):
        raise ContractError(f"{where}: 'allowed' must be a list of values, e.g. [a, b], got {allowed!r}")
    flags = [a for a in allowed if isinstance(a, bool)]
    if flags:
        raise ContractError(
            f"{where}: 'allowed' holds {str(flags[0]).lower()}: YAML reads yes, no, on, off, true and false as"
            " booleans; quote them to mean the text"
        )
    return tuple(str(a) for a in allowed)


def _pattern(raw: dict, type_: str, where: str) -> str | None:
    pattern = raw.get("pattern")
    if pattern is None:
        return None
    if not isinstance(pattern, str) or not pattern:
        raise ContractError(f"{where}: 'pattern' must be a regular expression in quotes, got {pattern!r}")
    if type_ != "text":
        raise ContractError(f"{where}: 'pattern' is for a text column (this one is {type_})")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ContractError(f"{where}: 'pattern' is not a regular expression ({exc})") from None
    return pattern


def _codes(raw: dict, where: str) -> tuple[tuple[str, str | None], ...]:
    codes = raw.get("codes") or {}
    if not isinstance(codes, dict) or not all(_scalar(k) and (v is None or _scalar(v)) for k, v in codes.items()):
        raise ContractError(
            f"{where}: 'codes' must map the partner's codes to values (quote yes, no, on, off, true and false:"
            " YAML reads them as booleans)"
        )
    return tuple((str(k), None if v is None else str(v)) for k, v in codes.items())


def _column(raw: object, where: str) -> Column:
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: each column must be a mapping")
    name = str(_require(raw, "name", where))
    where = f"{where} '{name}'"
    _no_unknown_keys(raw, COLUMN_KEYS, f"{where}:")
    role = raw.get("role", "attribute")
    if not isinstance(role, str) or role not in ROLES:
        raise ContractError(f"{where}: unknown role '{role}' (one of {', '.join(sorted(ROLES))})")
    type_ = raw.get("type", "text")
    if not isinstance(type_, str) or type_ not in TYPES:
        raise ContractError(f"{where}: unknown type '{type_}' (one of {', '.join(sorted(TYPES))})")
    target = raw.get("as")
    if role in {"attribute", "free_text"} or (role == "record_id" and target is not None):
        target = target or name
        if not isinstance(target, str) or not NAME_RE.match(target) or len(target) > SQL_NAME_MAX:
            raise ContractError(
                f"{where}: 'as' must be a lower-case SQL name of at most {SQL_NAME_MAX} characters, got {target!r}"
            )
        if target in RAW_OWN_COLUMNS:
            raise ContractError(
                f"{where}: 'as' {target} is a column of the raw table itself ({', '.join(sorted(RAW_OWN_COLUMNS))});"
                " store it under another name"
            )
        if target in SQL_RESERVED:
            raise ContractError(f"{where}: 'as' {target} is a reserved word in SQL; store it under another name")
    ref_source = raw.get("ref_source")
    if ref_source is not None and (not isinstance(ref_source, str) or not NAME_RE.match(ref_source)):
        raise ContractError(f"{where}: 'ref_source' must be the name of a source, got {ref_source!r}")
    if role == "person_ref" and not ref_source:
        raise ContractError(f"{where}: a person_ref column needs 'ref_source'")
    if ref_source and role != "person_ref":
        raise ContractError(f"{where}: 'ref_source' is for only a person_ref column (this one is {role})")
    flags = ("required", "unique", "absent", "optional_in_file")
    required, unique, absent, optional_in_file = (_flag(raw, key, where) for key in flags)
    if absent and (required or role not in {"attribute", "free_text"}):
        raise ContractError(f"{where}: an 'absent' column must be an optional attribute or free text")
    if optional_in_file and (required or role not in {"attribute", "free_text"}):
        # a file without it would be all missing values, or rows no one could be recognised or referred to by
        raise ContractError(f"{where}: an 'optional_in_file' column must be an optional attribute or free text")
    if optional_in_file and absent:
        raise ContractError(f"{where}: an 'absent' column is in no file already: remove 'optional_in_file'")
    minimum, maximum = _bound(raw, "min", type_, where), _bound(raw, "max", type_, where)
    if minimum is not None and maximum is not None and minimum > maximum:
        raise ContractError(f"{where}: 'min' {minimum} is above 'max' {maximum}: no value could pass")
    return Column(
        name=name,
        role=role,
        type=type_,
        required=required,
        unique=unique,
        allowed=_allowed(raw, where),
        target=target,
        ref_source=ref_source,
        minimum=minimum,
        maximum=maximum,
        codes=_codes(raw, where),
        absent=absent,
        optional_in_file=optional_in_file,
        pattern=_pattern(raw, type_, where),
    )


def _source_format(fmt: object, where: str) -> SourceFormat:
    if not isinstance(fmt, dict) or not isinstance(fmt.get("type"), str) or fmt["type"] not in FORMATS:
        raise ContractError(f"{where}: 'format.type' must be one of {', '.join(sorted(FORMATS))}")
    _no_unknown_keys(fmt, {f.name for f in fields(SourceFormat)}, f"{where}: 'format'")
    for key, value in fmt.items():
        if not _scalar(value):
            raise ContractError(f"{where}: 'format.{key}' must be a string, got {value!r}")
    type_ = fmt["type"]
    for key in sorted(set(fmt) - FORMAT_KEYS[type_] - {"type", "decimal", "date_format"}):
        if key == "encoding" and _is_utf8(str(fmt[key])):
            continue  # what the format reads anyway: saying so does no harm
        takes = ", ".join(f"'format.{k}'" for k in sorted(FORMAT_KEYS[type_] | {"decimal", "date_format"}))
        raise ContractError(f"{where}: 'format.{key}' does not apply to a {type_} source (it takes {takes})")
    source_format = SourceFormat(**{k: str(v) for k, v in fmt.items()})
    if len(source_format.delimiter) != 1:
        raise ContractError(f"{where}: 'format.delimiter' must be one character, got {source_format.delimiter!r}")
    if source_format.decimal not in {".", ","}:
        raise ContractError(f"{where}: 'format.decimal' must be '.' or ',', got {source_format.decimal!r}")
    try:
        codecs.lookup(source_format.encoding)
    except LookupError:
        raise ContractError(f"{where}: 'format.encoding' {source_format.encoding!r} is not a known encoding") from None
    if source_format.type == "sql" and not (source_format.table and source_format.watermark and source_format.url_env):
        raise ContractError(f"{where}: an sql source needs 'format.table', 'format.watermark' and 'format.url_env'")
    if source_format.type == "hmis" and not source_format.resource:
        raise ContractError(f"{where}: an hmis source needs 'format.resource', the CSV file a row is (Client...)")
    sample = datetime(2001, 2, 3)
    try:
        if datetime.strptime(sample.strftime(source_format.date_format), source_format.date_format) != sample:
            raise ValueError
    except ValueError:
        raise ContractError(
            f"{where}: 'format.date_format' {source_format.date_format!r} cannot read back a whole date"
        ) from None
    return source_format


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name in {"utf-8", "utf-8-sig"}
    except LookupError:
        return False


class _KeyTwice(yaml.YAMLError):
    def __init__(self, line: int, key: object):
        super().__init__(f"line {line}: key {key!r} written twice")
        self.line, self.key = line, key


class _ContractLoader(yaml.SafeLoader):
    """safe_load's YAML, but a key written twice in one mapping is an error: YAML would keep the last one and
    quietly ignore the first (`load: snapshot` above `load: append`, `type: date` beside `type: text`)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):  # a scalar is constructed again below at no cost
                key = self.construct_object(key_node)
                if key in seen:
                    raise _KeyTwice(key_node.start_mark.line + 1, key)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> object:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContractError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02X}, from a Windows-1252 or latin-1"
            " editor?): save the contract as UTF-8"
        ) from None
    return yaml.load(text, Loader=_ContractLoader)  # a SafeLoader: no Python objects


def load_contract(path: Path) -> Contract:
    where = str(path)
    try:
        data = _read_yaml(path)
    except _KeyTwice as exc:
        raise ContractError(
            f"{where}: line {exc.line}: key '{exc.key}' written twice in one mapping (YAML would keep only the last):"
            " remove one"
        ) from None
    except yaml.YAMLError as exc:
        raise ContractError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ContractError(f"{where}: a contract must be a mapping")
    _no_unknown_keys(data, TOP_LEVEL_KEYS, f"{where}:")
    name = str(_require(data, "name", where))
    if not NAME_RE.match(name):
        raise ContractError(f"{where}: 'name' must be a lower-case SQL name, got '{name}'")
    source_format = _source_format(_require(data, "format", where), where)
    load = data.get("load", "snapshot")
    if not isinstance(load, str) or load not in LOAD_MODES:
        raise ContractError(f"{where}: 'load' must be one of {', '.join(sorted(LOAD_MODES))}, got '{load}'")
    due_days = data.get("due_days", DUE_DAYS)  # null: a source this deployment does not expect every month
    days = isinstance(due_days, int) and not isinstance(due_days, bool) and 0 <= due_days <= 366
    if due_days is not None and not days:
        raise ContractError(
            f"{where}: 'due_days' must be the days (0 to 366) after a month ends by which its extract is due,"
            f" e.g. 20, or null for no due date; got '{due_days}'"
        )
    raw_columns = _require(data, "columns", where)
    if not isinstance(raw_columns, list):
        raise ContractError(f"{where}: 'columns' must be a list")
    columns = tuple(_column(c, f"{where}: column") for c in raw_columns)
    names = [c.name for c in columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ContractError(f"{where}: 'columns' has the name {', '.join(map(repr, twice))} twice")
    stored_as: dict[str, str] = {}
    for column in columns:
        if column.stored:
            first = stored_as.setdefault(column.target, column.name)
            if first != column.name:
                raise ContractError(
                    f"{where}: columns '{first}' and '{column.name}' are both stored as '{column.target}'"
                    " (key 'as'): the raw table can hold only one; give one of them another 'as'"
                )
    if source_format.type == "hmis":
        odd = [c.name for c in columns if not c.absent and not HMIS_COLUMN_RE.match(c.name)]
        if odd:
            raise ContractError(
                f"{where}: hmis column(s) {', '.join(odd)} must be named <File>.<Column>, e.g. Client.DOB"
            )
    lackable = [c.name for c in columns if c.optional_in_file]
    if lackable and source_format.type not in LACKABLE_FORMATS:
        raise ContractError(
            f"{where}: column(s) {', '.join(lackable)}: 'optional_in_file' is for a source that names its columns"
            f" ({', '.join(sorted(LACKABLE_FORMATS))}), not a {source_format.type} source"
        )
    skipping = [c.name for c in columns if any(value is None for _, value in c.codes)]
    if skipping and (source_format.type != "hmis" or any(n.split(".")[0] != source_format.resource for n in skipping)):
        raise ContractError(
            f"{where}: a null code (a record that is not a row) is for hmis sources only, on a column of"
            f" format.resource: {', '.join(skipping)}"
        )
    if sum(c.role == "record_id" for c in columns) != 1:
        raise ContractError(f"{where}: 'columns' must have exactly one column with role record_id")
    record_id = next(c for c in columns if c.role == "record_id")
    if record_id.stored and any(c.role in IDENTIFIER_ROLES | {"person_ref"} for c in columns):
        raise ContractError(
            f"{where}: column '{record_id.name}': a record id is stored ('as') only in a source with no persons:"
            " here it would tell who a row is about; remove 'as' (its keyed reference is kept)"
        )
    rules = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise ContractError(f"{where}: 'rules' must be a list, e.g. [{{column: date_fin, not_before: date_debut}}]")
    for raw_rule in raw_rules:
        if not isinstance(raw_rule, dict):
            raise ContractError(f"{where}: each of 'rules' must be a mapping")
        _no_unknown_keys(raw_rule, {"column", "not_before"}, f"{where}: rule")
        rule = Rule(
            column=str(_require(raw_rule, "column", f"{where}: rule")),
            not_before=str(_require(raw_rule, "not_before", f"{where}: rule")),
        )
        for ref in (rule.column, rule.not_before):
            if ref not in names:
                raise ContractError(f"{where}: 'rules' refers to unknown column '{ref}'")
            # a rule says one date is not before another (pipelines/validation.py, date_order): a birth date
            # stays text for pseudonymisation, and other types would compare nonsense or not at all
            column = columns[names.index(ref)]
            if column.type != "date" or column.role == "birth_date":
                what = "a birth date, kept as text" if column.role == "birth_date" else f"of type {column.type}"
                raise ContractError(
                    f"{where}: 'rules': '{ref}' is not a date column ({what}); a rule compares two dates"
                )
        rules.append(rule)
    period_pattern = _text(data, "period_pattern", where)
    try:
        if re.compile(period_pattern).groups != 1:
            raise ContractError(f"{where}: 'period_pattern' must have exactly one group")
    except re.error as exc:
        raise ContractError(f"{where}: 'period_pattern' is not a regular expression ({exc})") from None
    return Contract(
        name=name,
        partner=_text(data, "partner", where),
        description=_text(data, "description", where, required=False),
        file_pattern=_text(data, "file_pattern", where),
        period_pattern=period_pattern,
        format=source_format,
        columns=columns,
        rules=tuple(rules),
        load=load,
        due_days=due_days,
        path=path,
    )


def active_variants() -> tuple[str, ...]:
    """The contract variants this deployment uses, e.g. `hmis` when housing sends a HUD HMIS CSV export."""
    return tuple(v.strip() for v in os.environ.get(VARIANTS_ENV, "").split(",") if v.strip())


def variant_names(directory: Path = CONTRACTS_DIR) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and any(p.glob("*.yml")))


def load_contracts(directory: Path = CONTRACTS_DIR, variants: tuple[str, ...] | None = None) -> dict[str, Contract]:
    """The contracts of `directory`, each variant's files standing in for the same-named ones (default: the
    variants named in ABORD_CONTRACT_VARIANTS)."""
    base = _cross_checked([load_contract(p) for p in sorted(directory.glob("*.yml"))])
    for variant in active_variants() if variants is None else variants:
        folder = directory / variant
        if not folder.is_dir():
            raise ContractError(f"{VARIANTS_ENV}: no contract variant '{variant}' (no folder {folder})")
        for path in sorted(folder.glob("*.yml")):
            stand_in = load_contract(path)
            _check_stand_in(stand_in, base.get(stand_in.name))
            base[stand_in.name] = stand_in
    return _cross_checked(list(base.values()))


def _check_stand_in(stand_in: Contract, base: Contract | None) -> None:
    """A variant feeds the base contract's raw table and dbt source: same name, same raw columns, same load."""
    from pipelines.raw_tables import raw_columns  # raw_tables imports this module

    if base is None:
        raise ContractError(
            f"{stand_in.path}: a variant stands in for a contract of the same name; there is no"
            f" '{stand_in.name}' beside its folder"
        )
    ours, theirs = dict(raw_columns(stand_in)), dict(raw_columns(base))
    if ours != theirs:  # a column one has and the other not, by name; one both have, by its two types
        differ = ", ".join(
            f"{name} is {ours[name]} here, {theirs[name]} there" if name in ours and name in theirs else name
            for name in sorted(ours.keys() | theirs.keys())
            if ours.get(name) != theirs.get(name)
        )
        raise ContractError(f"{stand_in.path}: its raw columns differ from {base.path.name}'s ({differ})")
    if stand_in.load != base.load:
        raise ContractError(f"{stand_in.path}: 'load' is {stand_in.load} where {base.path.name} says {base.load}")


def _cross_checked(contracts: list[Contract]) -> dict[str, Contract]:
    by_name, errors = _cross_check(contracts)
    if errors:
        raise ContractError(errors[0])
    return by_name


def _check_references(contract: Contract, sources: dict[str, Contract]) -> None:
    for column in contract.columns:
        if column.ref_source and column.ref_source not in sources:
            raise ContractError(
                f"{contract.path}: column '{column.name}' refers to unknown source '{column.ref_source}'"
            )


def _cross_check(
    contracts: list[Contract], unloaded: dict[str, Path] | None = None
) -> tuple[dict[str, Contract], list[str]]:
    """The contracts that agree with the others, by name, and one error per contract that does not: a name
    already used (the first file keeps it) or a reference to no source. A contract that refers to one with an
    error of its own (one that does not agree, or does not load: `unloaded`, by name) still agrees: that error
    is the other's."""
    by_name: dict[str, Contract] = {}
    failed: dict[int, str] = {}
    for i, contract in enumerate(contracts):
        if contract.name in by_name:
            first = by_name[contract.name].path
            failed[i] = f"{contract.path}: 'name' {contract.name!r} is already used by {first}"
        else:
            by_name[contract.name] = contract
    for i, contract in enumerate(contracts):
        if i not in failed:
            try:
                _check_references(contract, {**dict.fromkeys(unloaded or {}), **by_name})
            except ContractError as exc:
                failed[i] = str(exc)
    agreed = {c.name: c for i, c in enumerate(contracts) if i not in failed}
    return agreed, [failed[i] for i in sorted(failed)]


def check_contracts(directory: Path = CONTRACTS_DIR) -> tuple[dict[str, Contract], list[str]]:
    """Every contract that loads and agrees with the others (as this deployment's variants make them), and one
    error per file that does not: each contract is reported on its own, whatever is wrong with another.
    Every variant is checked against the base contracts, whether this deployment uses it or not."""
    loaded, errors, unloaded = [], [], {}
    for path in sorted(directory.glob("*.yml")):
        try:
            loaded.append(load_contract(path))
        except ContractError as exc:
            errors.append(str(exc))
            unloaded.setdefault(_declared_name(path), path)
    contracts, cross_errors = _cross_check(loaded, unloaded)
    errors += cross_errors
    sources = {c.name: c for c in reversed(loaded)}  # the first file of a name keeps it, as in _cross_check
    stand_ins: dict[str, list[Contract]] = {}
    for variant in variant_names(directory):
        for path in sorted((directory / variant).glob("*.yml")):
            try:
                stand_in = load_contract(path)
                if stand_in.name not in sources and stand_in.name in unloaded:
                    raise ContractError(
                        f"{path}: stands in for {unloaded[stand_in.name]}, which does not load: fix it first"
                    )
                _check_stand_in(stand_in, sources.get(stand_in.name))
                _check_references(stand_in, {**dict.fromkeys(unloaded), **sources})
            except ContractError as exc:
                errors.append(str(exc))
            else:
                stand_ins.setdefault(variant, []).append(stand_in)
    for variant in active_variants():
        if not (directory / variant).is_dir():
            errors.append(f"{VARIANTS_ENV}: no contract variant '{variant}' (no folder {directory / variant})")
        for stand_in in stand_ins.get(variant, []):
            contracts[stand_in.name] = stand_in
    return contracts, errors


def _declared_name(path: Path) -> str | None:
    """The name a contract that does not load says it has, if it can be read: others may refer to it."""
    try:
        data = _read_yaml(path)
    except (yaml.YAMLError, OSError, ContractError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None
