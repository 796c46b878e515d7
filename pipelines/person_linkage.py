"""Who each row of a batch is, and what the identity store learns from it: decided first, written second.

In the batch's transaction, under ``IDENTITY_LOCK``:
1. exact keyed link keys (``pseudonymisation.linkage.link``) against ``identity.link_keys``;
2. typo-tolerant keyed encodings (``probabilistic.link_probabilistic``) against the stored encodings of the
   blocks the batch touches: a misspelt or swapped name that no exact key shares still finds its person;
3. the opposition list (``pseudonymisation.rights.opposed_rows``, stored by ``identity_store``): an opposed
   person's rows are set aside and the batch is linked again without them, so none of their keys, encodings
   or merges reach the store.
Only keyed values are stored; ``audit.person_merges`` notes each merge with person keys and its kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import psycopg

from pipelines.contract import Contract
from pipelines.identity_store import (
    ENCODINGS_DDL,
    RIGHTS_DDL,
    SELECT_BY_BLOCKS,
    UPSERT_ENCODING,
    add_opposition,
    load_opposition,
    stored_opposed_persons,
)
from pipelines.raw_tables import raw_table_ddl
from pseudonymisation.linkage import link
from pseudonymisation.probabilistic import Encoding, blocks_of, dumps, link_probabilistic, loads
from pseudonymisation.rights import opposed_rows

# Serialises linkage so two batches never create two keys for one person.
IDENTITY_LOCK = 4_242_001

IDENTITY_DDL = (
    ENCODINGS_DDL
    + RIGHTS_DDL
    + """
alter table audit.person_merges add column if not exists kind text not null default 'exact'
    check (kind in ('exact', 'probabilistic'));
"""
)


def ensure_identity_schema(url: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("select pg_advisory_xact_lock(%s)", (IDENTITY_LOCK,))
        conn.execute(IDENTITY_DDL)


@dataclass
class Linked:
    """A batch's linkage, before anything is written."""

    person_keys: list[str | None]  # per row; None for a row set aside
    opposed: list[bool]  # per row: set aside, its person is on the opposition list
    persons_new: int = 0
    mappings: dict[str, str] = field(default_factory=dict)  # link key -> person key to store
    merges: list[tuple[str, str, str]] = field(default_factory=list)  # (absorbed, kept, kind) to audit
    rekeys: dict[str, str] = field(default_factory=dict)  # stored person key -> the key it now goes by
    encodings: list[tuple[str, str]] = field(default_factory=list)  # (dumped encoding, person key) to store
    opposition: set[str] = field(default_factory=set)  # link keys to add to the opposition list


class LinkEntries:
    """The distinct (link keys, encoding) of a batch, each once: the rows of one person (a night each, a visit
    each) share an entry, so linkage works on persons, not rows; a row's entry number waits with it in the
    batch's spool. Linking entries in order of first appearance decides what linking every row would (clusters, merges,
    new keys and opposition are all set-based)."""

    def __init__(self) -> None:
        self.keys: list[list[str]] = []
        self.encodings: list[Encoding | None] = []
        self.rows: list[int] = []  # rows per entry
        self._index: dict[tuple[tuple[str, ...], int], int] = {}

    def add(self, keys: list[str], encoding: Encoding | None) -> int:
        """The entry of a row; encodings are compared by identity: one object per identity in a batch."""
        ident = (tuple(keys), id(encoding))
        entry = self._index.get(ident)
        if entry is None:
            entry = self._index[ident] = len(self.keys)
            self.keys.append(keys)
            self.encodings.append(encoding)
            self.rows.append(0)
        self.rows[entry] += 1
        return entry


def link_rows(cur: psycopg.Cursor, row_keys: Sequence[list[str]], encodings: Sequence[Encoding | None]) -> Linked:
    """Person keys of the rows (each with at least one link key), read against the store, nothing written."""
    linked = _link(cur, row_keys, encodings)
    drop, new_opposed = opposed_rows(
        row_keys, linked.person_keys, load_opposition(cur), stored_opposed_persons(cur, linked.person_keys)
    )
    if not any(drop):
        return linked
    # Linked again without them: a merge or a key their rows alone brought must not reach the store.
    kept = [n for n, dropped in enumerate(drop) if not dropped]
    linked = _link(cur, [row_keys[n] for n in kept], [encodings[n] for n in kept])
    person_keys: list[str | None] = [None] * len(row_keys)
    for n, person in zip(kept, linked.person_keys, strict=True):
        person_keys[n] = person
    linked.person_keys, linked.opposed, linked.opposition = person_keys, drop, new_opposed
    return linked


def _link(cur: psycopg.Cursor, row_keys: Sequence[list[str]], encodings: Sequence[Encoding | None]) -> Linked:
    all_keys = sorted({k for keys in row_keys for k in keys})
    cur.execute("select link_key, person_key from identity.link_keys where link_key = any(%s)", (all_keys,))
    store = dict(cur.fetchall())
    exact = link(list(row_keys), store)
    blocks = blocks_of(encodings)
    stored_rows = cur.execute(SELECT_BY_BLOCKS, (blocks,)).fetchall() if blocks else []
    # Stored encodings follow this batch's exact merges first, so the two passes never pull a person two ways.
    absorbed = dict(exact.merges)
    stored_encodings = [(absorbed.get(p, p), loads(e)) for p, e in stored_rows]
    known = set(store.values())
    prob = link_probabilistic(encodings, exact.person_keys, stored_encodings, existing_persons=known)
    known |= {p for p, _ in stored_encodings}
    kept_of = dict(prob.merges)
    merges = [(a, k, "exact") for a, k in exact.merges] + [(a, k, "probabilistic") for a, k in prob.merges]
    return Linked(
        person_keys=list(prob.person_keys),
        opposed=[False] * len(row_keys),
        persons_new=len(set(prob.person_keys) - known),
        mappings={k: kept_of.get(p, p) for k, p in exact.new_mappings.items()},
        merges=merges,
        # A key that lived only in this batch was never written: only stored persons need rewriting.
        rekeys=_resolve_chains([(a, k) for a, k, _ in merges if a in known]),
        encodings=[(dumps(enc), person) for person, enc in prob.new_encodings],
    )


def _resolve_chains(merges: list[tuple[str, str]]) -> dict[str, str]:
    """absorbed -> final kept key, when an exact merge's kept key is itself absorbed by a probabilistic one."""
    final = dict(merges)
    for absorbed in final:
        while final[absorbed] in final and final[absorbed] != absorbed:
            final[absorbed] = final[final[absorbed]]
    return final


def store_links(cur: psycopg.Cursor, contracts: Iterable[Contract], linked: Linked, batch_id: int) -> None:
    """Write what ``link_rows`` decided, in the batch's transaction."""
    cur.executemany(
        "insert into identity.link_keys (link_key, person_key) values (%s, %s)"
        " on conflict (link_key) do update set person_key = excluded.person_key",
        list(linked.mappings.items()),
    )
    _apply_rekeys(cur, contracts, linked.rekeys)
    cur.executemany(UPSERT_ENCODING, linked.encodings)
    cur.executemany(
        "insert into audit.person_merges (absorbed_person_key, kept_person_key, batch_id, kind)"
        " values (%s, %s, %s, %s)",
        [(absorbed, kept, batch_id, kind) for absorbed, kept, kind in linked.merges],
    )
    add_opposition(cur, linked.opposition)


def _apply_rekeys(cur: psycopg.Cursor, contracts: Iterable[Contract], rekeys: dict[str, str]) -> None:
    """Two stored persons found to be one: rows already loaded, link keys and encodings follow the kept key.
    One update per table for all merges: a merge at a time would rescan every raw table."""
    if not rekeys:
        return
    mapping = (list(rekeys), list(rekeys.values()))
    person_level = [c for c in contracts if c.is_person_level]
    for contract in person_level:
        cur.execute(raw_table_ddl(contract))
    for table in [*(c.raw_table for c in person_level), "identity.link_keys", "identity.bloom_encodings"]:
        cur.execute(
            f"update {table} as t set person_key = m.kept"
            " from unnest(%s::text[], %s::text[]) as m (absorbed, kept) where t.person_key = m.absorbed",
            mapping,
        )
