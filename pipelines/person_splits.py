"""Splits: when a corrected file replaces a period, the persons its replaced batches touched are re-clustered.

From the current batches' provenance (``identity.link_evidence``, keyed values only; ``linkage.components``
over shared link keys, then typo-tolerant matches): a person whose records fall apart keeps its key for the
largest part, each other part gets a new random key, its link keys, encodings and raw rows follow, and
``audit.person_splits`` notes it with person keys and counts only. Link keys and encodings that only the
replaced records carried are dropped: they would join the same persons again.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import NamedTuple
from uuid import uuid4

import psycopg

from pipelines.contract import Contract
from pseudonymisation.linkage import components
from pseudonymisation.probabilistic import loads, matching_pairs

log = logging.getLogger(__name__)


class _Record(NamedTuple):
    """One row of the provenance: an entry of a batch, as ``identity.link_evidence`` holds it."""

    batch_id: int
    entry: int
    person_key: str
    link_keys: list[str]
    encoding: str | None
    row_ordinals: list[int]
    source: str


def split_replaced(
    cur: psycopg.Cursor, contracts: dict[str, Contract], person_keys: list[str | None], batch_id: int
) -> None:
    """Re-cluster the persons of the batches ``batch_id`` replaced (``ledger.replace_period``, just done) from the
    current provenance; a person fallen apart keeps its key for its largest part (rows, then oldest record)."""
    gone = cur.execute(
        "delete from identity.link_evidence as e using audit.batches as b"
        " where e.batch_id = b.batch_id and b.replaced_by = %s returning e.person_key, e.link_keys, e.encoding",
        (batch_id,),
    ).fetchall()
    if not gone:
        return
    touched = sorted({p for p, _, _ in gone})
    current = [
        _Record(*row)
        for row in cur.execute(
            "select e.batch_id, e.entry, e.person_key, e.link_keys, e.encoding, e.row_ordinals, b.source"
            " from identity.link_evidence as e join audit.batches as b using (batch_id)"
            " where e.person_key = any(%s) order by e.batch_id, e.entry",
            (touched,),
        )
    ]
    keys = sorted({k for r in current for k in r.link_keys})
    stored = cur.execute("select count(*) from identity.link_keys where link_key = any(%s)", (keys,)).fetchone()[0]
    if stored < len(keys):
        # Every provenance key is in the store unless the key was rotated since: comparing digests made under two
        # keys would split every person, so the check waits for provenance written under the current key.
        log.warning("batch %s: provenance older than the key rotation, persons not re-clustered", batch_id)
        return
    _drop_unsupported(cur, touched, gone, current)
    by_person: dict[str, list[int]] = {}  # person -> positions in ``current``
    for n, row in enumerate(current):
        by_person.setdefault(row.person_key, []).append(n)
    moved: dict[int, str] = {}  # position in ``current`` -> its new person key
    for members in by_person.values():
        parts = _parts([current[n] for n in members])
        # the largest part (rows, then the oldest record) keeps the key
        parts.sort(key=lambda part: (-sum(max(len(current[members[i]].row_ordinals), 1) for i in part), part[0]))
        for part in parts[1:]:
            new_key = uuid4().hex
            moved.update((members[i], new_key) for i in part)
    if moved:
        _move(cur, contracts, person_keys, batch_id, current, moved)


def _parts(records: list[_Record]) -> list[list[int]]:
    """One person's provenance records grouped into the parts that still hold together: by shared link keys,
    then, only if those leave it in pieces, by typo-tolerant matches among its own encodings."""
    keys = [r.link_keys for r in records]
    part_of = components(keys)
    if len(set(part_of)) > 1:
        part_of = components(keys, matching_pairs([loads(r.encoding) if r.encoding else None for r in records]))
    parts: dict[int, list[int]] = {}
    for i, part in enumerate(part_of):
        parts.setdefault(part, []).append(i)
    return list(parts.values())


def _drop_unsupported(cur: psycopg.Cursor, touched: list[str], gone: list[tuple], current: list[_Record]) -> None:
    """Link keys and encodings only the replaced records carried leave the touched persons."""
    keys = sorted({k for _, ks, _ in gone for k in ks} - {k for r in current for k in r.link_keys})
    encodings = sorted({e for _, _, e in gone if e} - {r.encoding for r in current})
    cur.execute("delete from identity.link_keys where person_key = any(%s) and link_key = any(%s)", (touched, keys))
    cur.execute(
        "delete from identity.bloom_encodings where person_key = any(%s) and encoding = any(%s)", (touched, encodings)
    )


def _move(
    cur: psycopg.Cursor,
    contracts: dict[str, Contract],
    person_keys: list[str | None],
    batch_id: int,
    current: list[_Record],
    moved: dict[int, str],
) -> None:
    """The parts that split off take their new keys: provenance, link keys, encodings, raw rows; then audit."""
    cur.execute(
        "update identity.link_evidence as e set person_key = m.person"
        " from unnest(%s::bigint[], %s::int[], %s::text[]) as m (batch_id, entry, person)"
        " where e.batch_id = m.batch_id and e.entry = m.entry",
        ([current[n].batch_id for n in moved], [current[n].entry for n in moved], list(moved.values())),
    )
    keys = {k: person for n, person in moved.items() for k in current[n].link_keys}
    encodings = {current[n].encoding: person for n, person in moved.items() if current[n].encoding}
    for table, column, values in (("link_keys", "link_key", keys), ("bloom_encodings", "encoding", encodings)):
        cur.execute(
            f"update identity.{table} as t set person_key = m.person from unnest(%s::text[], %s::text[])"
            f" as m (value, person) where t.{column} = m.value",
            (list(values), list(values.values())),
        )
    rows: Counter[str] = Counter({person: 0 for person in moved.values()})
    # This batch's rows are not written yet: they take their entry's key.
    for n, person in moved.items():
        if current[n].batch_id == batch_id:
            person_keys[current[n].entry] = person
            rows[person] += len(current[n].row_ordinals)
    by_batch: dict[int, list[int]] = {}
    for n, row in enumerate(current):
        if row.batch_id != batch_id:
            by_batch.setdefault(row.batch_id, []).append(n)
    for batch, members in by_batch.items():
        if any(n in moved for n in members):
            table = contracts[current[members[0]].source].raw_table
            for person, count in _move_rows(cur, table, batch, [(current[n], moved.get(n)) for n in members]).items():
                rows[person] += count
    kept_of = {moved[n]: current[n].person_key for n in moved}
    records = Counter(moved.values())
    cur.executemany(
        "insert into audit.person_splits (person_key, new_person_key, batch_id, records_moved, rows_moved)"
        " values (%s, %s, %s, %s, %s)",
        [(kept_of[person], person, batch_id, records[person], n) for person, n in rows.items()],
    )


def _move_rows(cur: psycopg.Cursor, table: str, batch: int, entries: list[tuple[_Record, str | None]]) -> Counter[str]:
    """Raw rows of one earlier batch follow their entries (provenance rows, each with its new key or None):
    by row position when the batch's positions still hold (nothing erased from it meanwhile, ingestion passed
    them), else a person's rows all at once when all their entries there went one way. Rows moved per new key."""
    moved: Counter[str] = Counter()
    positions = [(o, person) for row, person in entries if person for o in row.row_ordinals]
    loaded, last = cur.execute(
        f"select (select count(*) from {table} where batch_id = %(b)s),"
        " (select max(o) from identity.link_evidence, unnest(row_ordinals) as o where batch_id = %(b)s)",
        {"b": batch},
    ).fetchone()
    if positions and last is not None and last + 1 == loaded:
        cur.execute(
            f"update {table} as t set person_key = m.person from (select source_row,"
            f" (row_number() over (order by source_row) - 1)::int as ordinal from {table} where batch_id = %(b)s) as o,"
            " unnest(%(ordinals)s::int[], %(persons)s::text[]) as m (ordinal, person)"
            " where t.batch_id = %(b)s and t.source_row = o.source_row and o.ordinal = m.ordinal",
            {"b": batch, "ordinals": [o for o, _ in positions], "persons": [p for _, p in positions]},
        )
        moved.update(p for _, p in positions)
        return moved
    destinations: dict[str, set[str]] = {}
    for row, person in entries:
        destinations.setdefault(row.person_key, set()).add(person or row.person_key)
    for old, new in destinations.items():
        if len(new) > 1:
            log.warning("batch %s: rows of a split person left with the largest part (no row positions)", batch)
        elif old not in new:
            cur.execute(
                f"update {table} set person_key = %s where batch_id = %s and person_key = %s", (*new, batch, old)
            )
            moved[next(iter(new))] += cur.rowcount
    return moved
