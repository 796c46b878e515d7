"""The raw table of a source follows from its contract: pseudonymised and generalised columns only."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from pipelines.contract import Contract

log = logging.getLogger(__name__)

SQL_TYPES = {"text": "text", "date": "date", "integer": "bigint", "decimal": "numeric"}
# A contract may widen a loaded column's type: every value loaded under the old type reads under the new one.
# Integers of any width (a steward's own `alter ... type integer`) fit in bigint and numeric; any type reads as text.
INTEGERS = {"smallint", "integer", "bigint"}


def widens(held: str, new: str) -> bool:
    return new == "text" or (held in INTEGERS and new in {"bigint", "numeric"})


class RawTableOutOfStep(Exception):
    """A contract changed a column its raw table already holds in a way the rows loaded before cannot follow: a
    type they may not fit, a new name for it."""


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    """(column, SQL type) of raw.<source> after the batch id and source row number."""
    columns = [("record_ref", "text not null")]
    if contract.is_person_level:
        columns.append(("person_key", "text not null"))
    if any(c.role == "birth_date" for c in contract.columns):
        columns.append(("birth_year", "integer"))  # generalised: the birth date itself is never stored
    if any(c.role == "postcode" for c in contract.columns):
        columns.append(("departement", "text"))  # generalised: the postcode (an address, near enough) is not
    columns += [(c.target, SQL_TYPES[c.type]) for c in contract.stored_columns]
    return columns


def raw_table_ddl(contract: Contract) -> str:
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(contract))
    # batch_id names a row of audit.batches written in the same transaction, by construction. It is no foreign
    # key: PostgreSQL would check it row by row, which made loading a raw table a third slower.
    ddl = (
        f"create table if not exists {contract.raw_table} (\n"
        "    batch_id bigint not null,\n"
        "    source_row integer not null,\n"
        f"    {body},\n"
        "    primary key (batch_id, source_row)\n"
        ")"
    )
    if gained := _gained_columns_ddl(contract):
        ddl += ";\n" + gained
    if contract.is_person_level:  # a merge of two persons rewrites their rows in every table
        ddl += ";\n" + person_index_ddl(contract)
    if contract.load == "append":
        ddl += ";\n" + _change_tracking_ddl(contract)
    return ddl


def _gained_columns_ddl(contract: Contract) -> str:
    """A contract that gained a column (a partner's new field) gives its raw table, made before, that column too,
    empty in the rows loaded before. Counted first: ALTER TABLE locks the table even when it adds nothing."""
    schema, table = contract.raw_table.split(".")
    columns = list(_nullable_columns(contract).items())
    if not columns:
        return ""
    names = ", ".join(f"'{name}'" for name, _ in columns)
    return (
        "do $ddl$ begin\n"
        f"    if (select count(*) from information_schema.columns where table_schema = '{schema}'"
        f" and table_name = '{table}' and column_name in ({names})) < {len(columns)} then\n"
        f"        alter table {contract.raw_table} "
        + ", ".join(f"add column if not exists {name} {sql_type}" for name, sql_type in columns)
        + ";\n    end if;\nend $ddl$"
    )


def _nullable_columns(contract: Contract) -> dict[str, str]:
    """The raw columns a contract may add to, or change in, a table made before: all but the keys."""
    return {name: sql_type for name, sql_type in raw_columns(contract) if "not null" not in sql_type}


def follow_contract_changes(cur, contract: Contract) -> None:
    """Widen a raw column whose contract type was widened (integer to decimal, anything to text); refuse, before
    the batch writes anything, a change the rows loaded before may not survive (a narrowed type, a renamed column).
    Under the writers' lock: a load in progress holds rows of the old type."""
    schema, name_in_schema = contract.raw_table.split(".")
    wanted = _nullable_columns(contract)
    stored = cur.execute(
        "select column_name, data_type from information_schema.columns where table_schema = %s and table_name = %s",
        (schema, name_in_schema),
    ).fetchall()
    changed = [(name, held, wanted[name]) for name, held in stored if name in wanted and held != wanted[name]]
    narrowed = [(name, held, new) for name, held, new in changed if not widens(held, new)]
    if narrowed:
        named = {c.target: f"column '{c.name}' is now {c.type}" for c in contract.stored_columns}
        where = contract.path or contract.name
        table = contract.raw_table
        raise RawTableOutOfStep(
            "; ".join(
                f"{where}: {named.get(name, 'a generalised column')} ({new} in the raw table), but {table}.{name}"
                f" holds {held} values loaded before"
                for name, held, new in narrowed
            )
            + ". abord only widens a loaded column (integer to decimal, any type to text): put the type back,"
            " or convert the loaded values yourself ("
            + "; ".join(f"alter table {table} alter column {name} type {new} using ..." for name, _, new in narrowed)
            + ")"
        )
    for name, _, new in changed:
        cur.execute(f"alter table {contract.raw_table} alter column {name} type {new}")
    _check_unnamed_columns(cur, contract, dict(stored), wanted)


def _check_unnamed_columns(cur, contract: Contract, stored: dict[str, str], wanted: dict[str, str]) -> None:
    """A raw column its contract no longer names: a field the partner stopped sending keeps its loaded values (a
    warning), but a renamed `as:` would leave every earlier row's value under the old name, never read again. That
    shows as an unnamed column holding values beside a named one of its type empty in every earlier row: refused
    until the steward says which it is."""
    known = {"batch_id", "source_row", "row_version", *(name for name, _ in raw_columns(contract))}
    unnamed = [name for name in stored if name not in known]
    if not unnamed:
        return
    table, where = contract.raw_table, contract.path or contract.name
    columns = [*unnamed, *wanted]
    found = cur.execute(f"select {', '.join(f'bool_or({c} is not null)' for c in columns)} from {table}").fetchone()
    filled = dict(zip(columns, found, strict=True))
    renamed = [
        (old, new)
        for old in unnamed
        for new, type_ in wanted.items()
        if filled[old] and filled[new] is False and stored[old] == type_
    ]
    if renamed:
        old, new = renamed[0]
        raise RawTableOutOfStep(
            f"{where}: {table}.{old} holds values but the contract no longer names it, and the contract's {new}"
            f" ({stored[old]} too) is empty in every row loaded before: if the contract renamed it, rename it in the"
            f" raw table too (alter table {table} rename column {old} to {new}); if the partner no longer sends it,"
            f" drop it (alter table {table} drop column {old}); then load again"
        )
    log.warning(
        "%s keeps column(s) %s that %s no longer names: rows loaded before keep their values there, new rows none",
        table,
        ", ".join(unnamed),
        where,
    )


def person_index_ddl(contract: Contract) -> str:
    return f"create index if not exists {contract.name}_person_key on {contract.raw_table} (person_key)"


def drop_person_index_ddl(contract: Contract) -> str:
    return f"drop index raw.{contract.name}_person_key"


def _change_tracking_ddl(contract: Contract) -> str:
    """An append source's months all stay current, so its staging model reads only what changed since it last
    ran: a row's version comes from one sequence when the row is loaded and again whenever it is rewritten (a
    merge, a split or a key rotation rewrites person keys and references in place), and the versions that
    leave (rows deleted or rewritten) are logged in raw.departures (pipelines/warehouse.py). The log of a table
    that had none opens with a null version: the rows that left before went unrecorded."""
    table, name = contract.raw_table, contract.name
    made = f"exists (select from pg_trigger where tgrelid = '{table}'::regclass and tgname = '{name}_rewritten')"
    return (
        "do $ddl$ begin\n"
        f"    if not {made} then\n"
        f"        lock table {table} in access exclusive mode;  -- another load may be making them: wait, look again\n"
        f"        if not {made} then\n"
        f"            alter table {table} add column if not exists row_version bigint not null"
        " default nextval('raw.row_versions');\n"
        f"            create index if not exists {name}_row_version on {table} (row_version);\n"
        f"            create or replace trigger {name}_row_version before update on {table}\n"
        "                for each row execute function raw.new_row_version();\n"
        f"            create or replace trigger {name}_deleted after delete on {table}\n"
        "                referencing old table as gone for each statement execute function raw.log_departures();\n"
        f"            create or replace trigger {name}_rewritten after update on {table}\n"
        "                referencing old table as gone for each statement execute function raw.log_departures();\n"
        f"            insert into raw.departures values ('{name}', null);\n"
        "        end if;\n"
        "    end if;\n"
        "end $ddl$"
    )


# --- rows in PostgreSQL's COPY text format ------------------------------------------------------------------

COPY_NULL = "\\N"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(text: str) -> str:
    """A text as a field of COPY's text format, as psycopg's write_row would send it. Formatting a batch's rows
    once, as text, lets them wait on disk and go to the server in large writes."""
    # Most values hold none of the four characters: four scans in C cost less than one translation.
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.translate(_COPY_ESCAPES)
    return text


def copy_text_array(texts: Iterable[str]) -> str:
    """Texts as a text[] field of COPY's text format: each element quoted, as an array literal asks of a text
    holding a comma, a brace, a quote or a space, then the literal escaped as a field."""
    quoted = ('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"' for text in texts)
    return copy_text("{" + ",".join(quoted) + "}")


def copy_integer_array(numbers: Iterable[int]) -> str:
    """Integers as an integer[] field of COPY's text format."""
    return "{" + ",".join(map(str, numbers)) + "}"


def copy_column(column_type: str) -> Callable[[list[object]], list[str]]:
    """A column's values (None, or of the type validation gives a contract's `column_type`) as COPY fields, the
    formatting chosen once for the column rather than for each value: a month's rows hold millions of fields."""
    if column_type == "date":
        return lambda values: [COPY_NULL if v is None else v.isoformat() for v in values]
    if column_type == "text":
        return lambda values: [COPY_NULL if v is None else copy_text(v) for v in values]
    # int and Decimal print as PostgreSQL reads them, with nothing to escape
    return lambda values: [COPY_NULL if v is None else str(v) for v in values]


def copy_statement(contract: Contract) -> str:
    """COPY into the raw table with the person key last: a row's other fields are formatted before linkage
    decides it, and the key is appended to them."""
    columns = ["batch_id", "source_row"] + [name for name, _ in raw_columns(contract) if name != "person_key"]
    if contract.is_person_level:
        columns.append("person_key")
    return f"copy {contract.raw_table} ({', '.join(columns)}) from stdin"
