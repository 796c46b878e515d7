"""The raw table of a source follows from its contract: pseudonymised and generalised columns only."""

from __future__ import annotations

from pipelines.contract import Contract

SQL_TYPES = {"text": "text", "date": "date", "integer": "bigint", "decimal": "numeric"}


def raw_columns(contract: Contract) -> list[tuple[str, str]]:
    """(column, SQL type) of raw.<source> after the batch id and source row number."""
    columns = [("record_ref", "text not null")]
    if contract.is_person_level:
        columns.append(("person_key", "text not null"))
    if any(c.role == "birth_date" for c in contract.columns):
        columns.append(("birth_year", "integer"))  # generalised: the birth date itself is never stored
    columns += [(c.target, SQL_TYPES[c.type]) for c in contract.stored_columns]
    return columns


def raw_table_ddl(contract: Contract) -> str:
    body = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in raw_columns(contract))
    ddl = (
        f"create table if not exists {contract.raw_table} (\n"
        "    batch_id bigint not null references audit.batches,\n"
        "    source_row integer not null,\n"
        f"    {body},\n"
        "    primary key (batch_id, source_row)\n"
        ")"
    )
    if contract.is_person_level:  # a merge of two persons rewrites their rows in every table
        ddl += f";\ncreate index if not exists {contract.name}_person_key on {contract.raw_table} (person_key)"
    return ddl
