"""Erasure (``abord forget``): the persons a request's link keys reach leave raw and identity at once.

Their rows in every raw table, their link keys, encodings and merge history are deleted; their keys join
the opposition list so the next extract does not bring them back; ``audit.erasures`` records the act with
counts only. The dbt models, rebuilt from raw at the next refresh, lose them too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.identity_store import add_opposition


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

    Run inside one transaction with ``identity_store.ensure_rights_schema`` done. The persons' every stored
    link key (not only the requested ones) joins the opposition list before it is deleted.
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
