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
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple
from uuid import uuid4

import psycopg

from pipelines.contract import Contract
from pseudonymisation.linkage import components
from pseudonymisation.probabilistic import loads, matching_pairs

log = logging.getLogger(__name__)


class _Record(NamedTuple):
    """One row of the provenance: an entry of a batch, as ``identity.link_evidence`` holds it (its row ordinals
    counted, not read: a support-contacts batch holds millions)."""

    batch_id: int
    entry: int
    person_key: str
    link_keys: list[str]
    encoding: str | None
    rows: int
    source: str


# The touched persons' current provenance, person by person. Read through a server-side cursor: a corrected month
# of a large source touches most persons, and holding all their records at once was ingestion's peak of memory.
CURRENT = """
    select e.batch_id, e.entry, e.person_key, e.link_keys, e.encoding, coalesce(cardinality(e.row_ordinals), 0),
        b.source
    from identity.link_evidence as e join audit.batches as b using (batch_id)
    where e.person_key in (select person_key from split_gone)
    order by e.person_key, e.batch_id, e.entry
"""


def split_replaced(
    cur: psycopg.Cursor, contracts: dict[str, Contract], person_keys: list[str | None], batch_id: int
) -> None:
    """Re-cluster the persons of the batches ``batch_id`` replaced (``ledger.replace_period``, just done) from the
    current provenance; a person fallen apart keeps its key for its largest part (rows, then oldest record)."""
    cur.execute("create temp table split_gone (person_key text, link_keys text[], encoding text) on commit drop")
    cur.execute(
        "with gone as (delete from identity.link_evidence as e using audit.batches as b"
        " where e.batch_id = b.batch_id and b.replaced_by = %s returning e.person_key, e.link_keys, e.encoding)"
        " insert into split_gone select * from gone",
        (batch_id,),
    )
    if not cur.rowcount:
        return
    cur.execute("analyze split_gone")  # a temporary table has no statistics: a few rows or most persons
    unstored = cur.execute(
        "select count(*) from (select distinct unnest(link_keys) as k from identity.link_evidence"
        " where person_key in (select person_key from split_gone)) as current_keys"
        " where not exists (select from identity.link_keys where link_key = current_keys.k)"
    ).fetchone()[0]
    if unstored:
        # Every provenance key is in the store unless the key was rotated since: comparing digests made under two
        # keys would split every person, so the check waits for provenance written under the current key.
        log.warning("batch %s: provenance older than the key rotation, persons not re-clustered", batch_id)
    else:
        _drop_unsupported(cur)
        records, moved = _split_persons(cur)
        if moved:
            _move(cur, contracts, person_keys, batch_id, records, moved)


def _split_persons(cur: psycopg.Cursor) -> tuple[list[_Record], dict[int, str]]:
    """The records of the persons that fell apart, and the new key of each record that leaves its person."""
    records: list[_Record] = []  # of split persons only
    moved: dict[int, str] = {}  # position in ``records`` -> its new person key
    with cur.connection.cursor(name="split_current") as current:
        current.itersize = 2000
        for _, person in groupby(map(_Record._make, current.execute(CURRENT)), key=attrgetter("person_key")):
            members = list(person)
            parts = _parts(members)
            if len(parts) == 1:
                continue
            # the largest part (rows, then the oldest record) keeps the key
            parts.sort(key=lambda part: (-sum(max(members[i].rows, 1) for i in part), part[0]))
            for part in parts[1:]:
                new_key = uuid4().hex
                moved.update((len(records) + i, new_key) for i in part)
            records += members
    return records, moved


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


def _drop_unsupported(cur: psycopg.Cursor) -> None:
    """Link keys and encodings only the replaced records carried leave the touched persons."""
    touched = "person_key in (select person_key from split_gone)"
    cur.execute(
        f"delete from identity.link_keys where {touched} and link_key in (select unnest(link_keys) from split_gone"
        f" except select unnest(link_keys) from identity.link_evidence where {touched})"
    )
    cur.execute(
        f"delete from identity.bloom_encodings where {touched} and encoding in (select encoding from split_gone"
        f" except select encoding from identity.link_evidence where {touched})"
    )


def _move(
    cur: psycopg.Cursor,
    contracts: dict[str, Contract],
    person_keys: list[str | None],
    batch_id: int,
    records: list[_Record],
    moved: dict[int, str],
) -> None:
    """The parts that split off take their new keys: provenance, link keys, encodings, raw rows; then audit."""
    cur.execute(
        "update identity.link_evidence as e set person_key = m.person"
        " from unnest(%s::bigint[], %s::int[], %s::text[]) as m (batch_id, entry, person)"
        " where e.batch_id = m.batch_id and e.entry = m.entry",
        ([records[n].batch_id for n in moved], [records[n].entry for n in moved], list(moved.values())),
    )
    keys = {k: person for n, person in moved.items() for k in records[n].link_keys}
    encodings = {records[n].encoding: person for n, person in moved.items() if records[n].encoding}
    for table, column, values in (("link_keys", "link_key", keys), ("bloom_encodings", "encoding", encodings)):
        cur.execute(
            f"update identity.{table} as t set person_key = m.person from unnest(%s::text[], %s::text[])"
            f" as m (value, person) where t.{column} = m.value",
            (list(values), list(values.values())),
        )
    rows: Counter[str] = Counter({person: 0 for person in moved.values()})
    # This batch's rows are not written yet: they take their entry's key.
    for n, person in moved.items():
        if records[n].batch_id == batch_id:
            person_keys[records[n].entry] = person
            rows[person] += records[n].rows
    by_batch: dict[int, list[int]] = {}
    for n, row in enumerate(records):
        if row.batch_id != batch_id:
            by_batch.setdefault(row.batch_id, []).append(n)
    for batch, members in by_batch.items():
        if any(n in moved for n in members):
            table = contracts[records[members[0]].source].raw_table
            for person, count in _move_rows(cur, table, batch, [(records[n], moved.get(n)) for n in members]).items():
                rows[person] += count
    kept_of = {moved[n]: records[n].person_key for n in moved}
    splits = Counter(moved.values())
    cur.executemany(
        "insert into audit.person_splits (person_key, new_person_key, batch_id, records_moved, rows_moved)"
        " values (%s, %s, %s, %s, %s)",
        [(kept_of[person], person, batch_id, splits[person], n) for person, n in rows.items()],
    )


def _move_rows(cur: psycopg.Cursor, table: str, batch: int, entries: list[tuple[_Record, str | None]]) -> Counter[str]:
    """Raw rows of one earlier batch follow their entries (provenance rows, each with its new key or None):
    by row position when the batch's positions still hold (nothing erased from it meanwhile, ingestion passed
    them), else a person's rows all at once when all their entries there went one way. Rows moved per new key."""
    moved: Counter[str] = Counter()
    moving = [(row.entry, person) for row, person in entries if person]
    loaded, last = cur.execute(
        f"select (select count(*) from {table} where batch_id = %(b)s),"
        " (select max(o) from identity.link_evidence, unnest(row_ordinals) as o where batch_id = %(b)s)",
        {"b": batch},
    ).fetchone()
    if moving and last is not None and last + 1 == loaded:
        cur.execute(
            f"update {table} as t set person_key = m.person from (select source_row,"
            f" (row_number() over (order by source_row) - 1)::int as ordinal from {table} where batch_id = %(b)s) as o,"
            " (select ordinal, m.person from identity.link_evidence as e"
            " join unnest(%(entries)s::int[], %(persons)s::text[]) as m (entry, person) using (entry),"
            " unnest(e.row_ordinals) as ordinal where e.batch_id = %(b)s) as m"
            " where t.batch_id = %(b)s and t.source_row = o.source_row and o.ordinal = m.ordinal",
            {"b": batch, "entries": [e for e, _ in moving], "persons": [p for _, p in moving]},
        )
        for row, person in entries:
            if person:
                moved[person] += row.rows
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
