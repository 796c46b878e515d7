"""Erasure (``abord forget``): the persons a request's link keys reach leave raw and identity at once.

Their rows in every raw table, their link keys, provenance, merges and splits are deleted; their keys join the
opposition list, and their encodings pass to an opposed person key (``identity_store.oppose_stored_encodings``),
so the next extract does not bring them back, even misspelt; ``audit.erasures`` records the act with counts only.
``withdraw_opposed`` does the same for persons ingestion finds to be opposed after their rows were loaded.
The dbt models, rebuilt from raw at the next refresh, lose them too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pipelines.identity_store import ENCODINGS_TABLE, add_opposition, oppose_stored_encodings

OPPOSITION = "opposition"  # ingestion's reason code for a row set aside because its person opposed


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
    encodings_table: str = ENCODINGS_TABLE,
) -> Erasure:
    """Erase the persons ``keys`` reach from raw (``person_tables`` have a ``person_key``) and identity.

    Run inside one transaction with ``identity_store.ensure_rights_schema`` done. The persons' every stored
    link key (not only the requested ones) joins the opposition list before it is deleted.
    """
    cur.execute("select distinct person_key from identity.link_keys where link_key = any(%s)", (sorted(keys),))
    persons = sorted(p for (p,) in cur.fetchall())
    rows, deleted_keys = _erase(cur, persons, person_tables, keys, encodings_table)
    _count_in_batches(cur, rows, "rows_erased = b.rows_erased + w.rows")  # what raw still holds of each batch
    cur.execute(
        "insert into audit.erasures (requested_identities, persons_erased, rows_deleted) values (%s, %s, %s)",
        (requested, len(persons), len(rows)),
    )
    return Erasure(len(persons), len(rows), deleted_keys)


def withdraw_opposed(cur: Any, persons: Iterable[str], person_tables: Sequence[str]) -> int:
    """Take out stored persons that linkage has just found to be an opposed person (a tenancy loaded before the
    participant it references was recognised as opposed): erased as by ``forget``, their rows counted in their
    own batches as quarantined for ``opposition``, so every batch still adds up. Returns the rows taken out."""
    rows, _ = _erase(cur, sorted(set(persons)), person_tables, set())
    if rows:
        cur.executemany(
            "insert into audit.rejections (batch_id, source_row, column_name, reason_code) values (%s, %s, null, %s)",
            [(batch, row, OPPOSITION) for batch, row in rows],
        )
        _count_in_batches(
            cur, rows, "rows_loaded = b.rows_loaded - w.rows, rows_quarantined = b.rows_quarantined + w.rows"
        )
    return len(rows)


def _count_in_batches(cur: Any, rows: list[tuple[int, int]], assignments: str) -> None:
    """Update each batch's counts (`assignments`, of `b` the batch and `w.rows` its rows among `rows`)."""
    cur.execute(
        f"update audit.batches as b set {assignments}"
        " from (select batch_id, count(*)::int as rows from unnest(%s::bigint[]) as batch_id group by 1) as w"
        " where b.batch_id = w.batch_id",
        ([batch for batch, _ in rows],),
    )


def _erase(
    cur: Any, persons: list[str], person_tables: Sequence[str], keys: set[str], encodings_table: str = ENCODINGS_TABLE
) -> tuple[list[tuple[int, int]], int]:
    """The persons' raw rows, link keys, provenance and merges go; their keys (and ``keys``) join the opposition
    list, their encodings pass to opposed person keys. Returns the (batch id, source row) deleted and the number
    of link keys deleted."""
    rows: list[tuple[int, int]] = []
    for table in person_tables:
        cur.execute(f"delete from {table} where person_key = any(%s) returning batch_id, source_row", (persons,))
        rows += cur.fetchall()
    cur.execute("select link_key from identity.link_keys where person_key = any(%s)", (persons,))
    add_opposition(cur, keys | {k for (k,) in cur.fetchall()})
    cur.execute("delete from identity.link_keys where person_key = any(%s)", (persons,))
    deleted_keys = cur.rowcount
    oppose_stored_encodings(cur, persons, encodings_table)
    cur.execute("delete from identity.link_evidence where person_key = any(%s)", (persons,))
    cur.execute(
        "delete from audit.person_merges where absorbed_person_key = any(%s) or kept_person_key = any(%s)",
        (persons, persons),
    )
    cur.execute(
        "delete from audit.person_splits where person_key = any(%s) or new_person_key = any(%s)", (persons, persons)
    )
    return rows, deleted_keys
