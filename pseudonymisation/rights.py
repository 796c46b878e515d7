"""People's rights: the opposition list and erasure, through link keys only.

An opposition or erasure request arrives as identifiers (a CSV with the canonical columns of
`abord link`). They are turned into link keys at once and only those keys are kept
(``identity.opposition``): the request file itself is the steward's to delete.

- Opposition: ingestion drops every row whose link keys meet the list, or that linkage puts with such a row
  or with a stored person holding an opposed key (``opposed_rows``, ``stored_opposed_persons``), and adds
  those rows' own keys to the list, so that rows referencing them (a tenancy naming the participant id) are
  dropped as well, now or in a later batch.
- Erasure (``forget``): the persons those keys reach lose their rows in every raw table, their link keys,
  encodings and merge history, in one transaction; their keys join the opposition list so the next extract
  does not bring them back; ``audit.erasures`` records the act with counts only. The dbt models, rebuilt from
  raw at the next refresh, lose them too.

The functions that touch the warehouse take an open cursor and table names: they know SQL, not partners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pseudonymisation.link_keys import Identity, link_keys

RIGHTS_DDL = """
create table if not exists identity.opposition (
    link_key text primary key,
    added_at timestamptz not null default now()
);
create table if not exists audit.erasures (
    erasure_id bigserial primary key,
    requested_identities integer not null,
    persons_erased integer not null,
    rows_deleted integer not null,
    erased_at timestamptz not null default now()
);
"""


def identity_of(row: Mapping[str, str | None]) -> Identity:
    """The Identity of a row with canonical identifier columns (absent or blank cells are None)."""
    return Identity(**{f: _cell(row.get(f)) for f in Identity.__dataclass_fields__})


def _cell(value: str | None) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def request_keys(key: bytes, rows: Iterable[Mapping[str, str | None]]) -> tuple[set[str], int]:
    """Link keys of every identity in a request, and how many identities gave at least one key."""
    keys: set[str] = set()
    usable = 0
    for row in rows:
        found = link_keys(key, identity_of(row))
        usable += bool(found)
        keys.update(found)
    return keys, usable


def opposed_rows(
    row_keys: Sequence[Sequence[str]],
    person_keys: Sequence[str],
    opposed: set[str],
    opposed_persons: Iterable[str] = (),
) -> tuple[list[bool], set[str]]:
    """Which rows of a linked batch to drop, and the keys to add to the opposition list.

    A row is dropped when any of its keys is opposed, or when linkage put it with such a row (the same
    person written differently), or with a stored person already known to be opposed (``opposed_persons``:
    a row reaching them through another key, or through a typo, is theirs too). The dropped rows' keys
    (record references included) are returned so that a later batch's rows that only reference them are
    caught as well.
    """
    hit_persons = {p for keys, p in zip(row_keys, person_keys, strict=True) if opposed.intersection(keys)}
    hit_persons |= set(opposed_persons)
    drop = [p in hit_persons for p in person_keys]
    new_keys = {k for keys, d in zip(row_keys, drop, strict=True) if d for k in keys} - opposed
    return drop, new_keys


def ensure_rights_schema(cur: Any) -> None:
    cur.execute(RIGHTS_DDL)


def load_opposition(cur: Any) -> set[str]:
    cur.execute("select link_key from identity.opposition")
    return {k for (k,) in cur.fetchall()}


def stored_opposed_persons(cur: Any, person_keys: Iterable[str]) -> set[str]:
    """Those of ``person_keys`` that hold an opposed link key in ``identity.link_keys``: opposition added
    after a person was first loaded (``abord opposition add``) keeps their later rows out, whatever key
    or typo links those rows to them."""
    cur.execute(
        "select distinct l.person_key from identity.link_keys as l join identity.opposition as o using (link_key)"
        " where l.person_key = any(%s)",
        (sorted(set(person_keys)),),
    )
    return {p for (p,) in cur.fetchall()}


def add_opposition(cur: Any, keys: Iterable[str]) -> int:
    """Add link keys to the opposition list; returns how many were new."""
    keys = sorted(set(keys))
    if not keys:
        return 0
    cur.execute("insert into identity.opposition (link_key) select unnest(%s::text[]) on conflict do nothing", (keys,))
    return cur.rowcount


@dataclass(frozen=True)
class Erasure:
    persons: int
    rows_deleted: int
    link_keys_deleted: int


def forget(
    cur: Any,
    keys: set[str],
    person_tables: Sequence[str],
    requested: int,
    encodings_table: str | None = None,
) -> Erasure:
    """Erase the persons ``keys`` reach from raw (``person_tables`` have a ``person_key``) and identity.

    Run inside one transaction with ``ensure_rights_schema`` done. The persons' every stored link key
    (not only the requested ones) joins the opposition list before it is deleted.
    """
    cur.execute("select distinct person_key from identity.link_keys where link_key = any(%s)", (sorted(keys),))
    persons = sorted(p for (p,) in cur.fetchall())
    rows = 0
    for table in person_tables:
        cur.execute(f"delete from {table} where person_key = any(%s)", (persons,))
        rows += cur.rowcount
    cur.execute("select link_key from identity.link_keys where person_key = any(%s)", (persons,))
    add_opposition(cur, keys | {k for (k,) in cur.fetchall()})
    cur.execute("delete from identity.link_keys where person_key = any(%s)", (persons,))
    deleted_keys = cur.rowcount
    if encodings_table:
        cur.execute(f"delete from {encodings_table} where person_key = any(%s)", (persons,))
    cur.execute(
        "delete from audit.person_merges where absorbed_person_key = any(%s) or kept_person_key = any(%s)",
        (persons, persons),
    )
    cur.execute(
        "insert into audit.erasures (requested_identities, persons_erased, rows_deleted) values (%s, %s, %s)",
        (requested, len(persons), rows),
    )
    return Erasure(len(persons), rows, deleted_keys)
