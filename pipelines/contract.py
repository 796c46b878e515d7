"""Source contracts: one YAML per partner source says how to read, check and pseudonymise its extracts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent / "contracts"

# Identifier roles are consumed by pseudonymisation and never stored.
IDENTIFIER_ROLES = {"given_name", "family_name", "birth_date", "nir", "phone", "email"}
ROLES = IDENTIFIER_ROLES | {"record_id", "person_ref", "free_text", "attribute"}
TYPES = {"text", "date", "integer", "decimal"}
FORMATS = {"csv", "jsonl"}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ContractError(ValueError):
    """A contract file that cannot be used; the message names the file and the key."""


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

    @property
    def stored(self) -> bool:
        """Whether a (possibly transformed) value of this column reaches the warehouse."""
        return self.role in {"attribute", "free_text"}


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
    path: Path | None = None

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def record_id(self) -> Column:
        return next(c for c in self.columns if c.role == "record_id")

    @property
    def is_person_level(self) -> bool:
        return any(c.role in IDENTIFIER_ROLES | {"person_ref"} for c in self.columns)

    @property
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


def _column(raw: object, where: str) -> Column:
    if not isinstance(raw, dict):
        raise ContractError(f"{where}: each column must be a mapping")
    name = str(_require(raw, "name", where))
    where = f"{where} '{name}'"
    role = raw.get("role", "attribute")
    if role not in ROLES:
        raise ContractError(f"{where}: unknown role '{role}' (one of {', '.join(sorted(ROLES))})")
    type_ = raw.get("type", "text")
    if type_ not in TYPES:
        raise ContractError(f"{where}: unknown type '{type_}' (one of {', '.join(sorted(TYPES))})")
    target = raw.get("as")
    if role in {"attribute", "free_text"}:
        target = target or name
        if not NAME_RE.match(target):
            raise ContractError(f"{where}: 'as' must be a lower-case SQL name, got '{target}'")
    if role == "person_ref" and not raw.get("ref_source"):
        raise ContractError(f"{where}: a person_ref column needs 'ref_source'")
    allowed = raw.get("allowed")
    return Column(
        name=name,
        role=role,
        type=type_,
        required=bool(raw.get("required", False)),
        unique=bool(raw.get("unique", False)),
        allowed=tuple(str(a) for a in allowed) if allowed else None,
        target=target,
        ref_source=raw.get("ref_source"),
    )


def load_contract(path: Path) -> Contract:
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContractError(f"{where}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ContractError(f"{where}: a contract must be a mapping")
    name = str(_require(data, "name", where))
    if not NAME_RE.match(name):
        raise ContractError(f"{where}: 'name' must be a lower-case SQL name, got '{name}'")
    fmt = _require(data, "format", where)
    if not isinstance(fmt, dict) or fmt.get("type") not in FORMATS:
        raise ContractError(f"{where}: 'format.type' must be one of {', '.join(sorted(FORMATS))}")
    try:
        source_format = SourceFormat(**fmt)
    except TypeError as exc:
        raise ContractError(f"{where}: 'format' has an unknown key ({exc})") from None
    raw_columns = _require(data, "columns", where)
    if not isinstance(raw_columns, list):
        raise ContractError(f"{where}: 'columns' must be a list")
    columns = tuple(_column(c, f"{where}: column") for c in raw_columns)
    names = [c.name for c in columns]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: 'columns' has duplicate names")
    if sum(c.role == "record_id" for c in columns) != 1:
        raise ContractError(f"{where}: 'columns' must have exactly one column with role record_id")
    rules = []
    for raw_rule in data.get("rules") or []:
        rule = Rule(column=str(raw_rule.get("column")), not_before=str(raw_rule.get("not_before")))
        for ref in (rule.column, rule.not_before):
            if ref not in names:
                raise ContractError(f"{where}: 'rules' refers to unknown column '{ref}'")
        rules.append(rule)
    period_pattern = str(_require(data, "period_pattern", where))
    try:
        if re.compile(period_pattern).groups != 1:
            raise ContractError(f"{where}: 'period_pattern' must have exactly one group")
    except re.error as exc:
        raise ContractError(f"{where}: 'period_pattern' is not a regular expression ({exc})") from None
    return Contract(
        name=name,
        partner=str(_require(data, "partner", where)),
        description=str(data.get("description", "")),
        file_pattern=str(_require(data, "file_pattern", where)),
        period_pattern=period_pattern,
        format=source_format,
        columns=columns,
        rules=tuple(rules),
        path=path,
    )


def load_contracts(directory: Path = CONTRACTS_DIR) -> dict[str, Contract]:
    contracts = [load_contract(p) for p in sorted(directory.glob("*.yml"))]
    by_name = {c.name: c for c in contracts}
    for contract in contracts:
        for column in contract.columns:
            if column.ref_source and column.ref_source not in by_name:
                raise ContractError(
                    f"{contract.path}: column '{column.name}' refers to unknown source '{column.ref_source}'"
                )
    return by_name
