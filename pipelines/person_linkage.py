"""Who each row of a batch is, and what the identity store learns from it: decided first, written second.

In the batch's transaction, under ``writer_lock``:
1. exact keyed link keys (``pseudonymisation.linkage.link``) against ``identity.link_keys``;
2. typo-tolerant keyed encodings (``probabilistic.link_probabilistic``) against the stored encodings of the
   blocks that the batch's encodings not yet stored under their person touch: a misspelt or swapped name that no
   exact key shares still finds its person;
3. the opposition list (``pseudonymisation.rights.opposed_rows``, stored by ``identity_store``): a row meeting
   an opposed link key, or linked (exactly or by typo-tolerant encoding) to a stored person who holds one or
   to an opposed identity's encodings, is set aside with every row of its person; the batch is linked again
   without them, so none of their keys, encodings or merges reach the store. A stored person those rows reach
   who was not known to be opposed (a tenancy loaded before the participant it names) is taken out
   (``erasure.withdraw_opposed``), their rows counted as set aside in their own batches.
Only keyed values are stored; ``audit.person_merges`` notes each merge with person keys and its kind.

Each batch's identities are kept as provenance (``identity.link_evidence``): when a corrected file replaces a
period, ``person_splits`` re-clusters the persons it touched.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import psycopg

from pipelines.contract import Contract
from pipelines.erasure import withdraw_opposed
from pipelines.identity_store import (
    PERSONS_OF_ENCODINGS,
    PERSONS_OF_KEYS,
    RIGHTS_DDL,
    SELECT_BY_BLOCKS,
    UPSERT_ENCODINGS,
    add_opposition,
    load_opposition,
    stored_opposed_persons,
    stored_persons,
)
from pipelines.person_splits import split_replaced
from pipelines.raw_tables import COPY_NULL, copy_integer_array, copy_text, copy_text_array, raw_table_ddl
from pipelines.writer_lock import lock_for_transaction
from pseudonymisation.linkage import LinkResult, link
from pseudonymisation.probabilistic import Encoding, blocks_of, dumps, link_probabilistic, loads
from pseudonymisation.rights import opposed_rows

IDENTITY_DDL = (
    RIGHTS_DDL
    + """
alter table audit.person_merges add column if not exists kind text not null default 'exact'
    check (kind in ('exact', 'probabilistic'));
"""
)


def ensure_identity_schema(url: str) -> None:
    with psycopg.connect(url) as conn:
        lock_for_transaction(conn)
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
    withdrawn: set[str] = field(default_factory=set)  # stored persons to take out: found to be opposed
    # (entry, link keys, dumped encoding, row ordinals) of the entries loaded: the batch's provenance; the ordinals
    # are int32 slices of one array (a night per row: millions of rows in a shelter batch)
    evidence: list[tuple[int, Sequence[str], str | None, np.ndarray]] = field(default_factory=list)


class LinkEntries:
    """The distinct (link keys, encoding) of a batch, each once: the rows of one person (a night each, a visit
    each) share an entry, so linkage works on persons, not rows; a row's entry number waits with it in the
    batch's spool. Linking entries in order of first appearance decides what linking every row would (clusters, merges,
    new keys and opposition are all set-based). ``order`` (each row's entry, in spool order) lets the provenance
    say which rows an entry holds, so a later split moves exactly those."""

    def __init__(self) -> None:
        self.keys: list[list[str]] = []
        self.encodings: list[Encoding | None] = []
        self.rows: list[int] = []  # rows per entry
        self.order = array("i")
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
        self.order.append(entry)
        return entry


def link_rows(
    cur: psycopg.Cursor,
    row_keys: Sequence[list[str]],
    encodings: Sequence[Encoding | None],
    order: Sequence[int] = (),
) -> Linked:
    """Person keys of the entries (each with at least one link key), read against the store, nothing written.
    ``order`` is ``LinkEntries.order``: without it the provenance cannot tell apart the rows of two entries of
    one person in one batch, and a later split leaves such rows with the key the largest part keeps."""
    dumped = [None if enc is None else dumps(enc) for enc in encodings]
    linked = _link_opposition_aside(cur, row_keys, encodings, dumped)
    return _with_evidence(linked, row_keys, dumped, order)


class RowIdentities:
    """Identities of rows linkage does not link (rejected at validation, or waiting in a quarantine file), each
    with its line in the quarantine file, to tell which are an opposed person's. One entry per identity, two ints
    per row."""

    def __init__(self) -> None:
        self.entries = LinkEntries()
        self.rows = array("q")

    def add(self, row: int, keys: list[str], encoding: Encoding | None) -> None:
        """A row without a link key names nobody: nothing says whose it is, it is left out."""
        if keys:
            self.entries.add(keys, encoding)
            self.rows.append(row)

    def renumber(self, moved: Mapping[int, int]) -> None:
        """Their lines, moved down by rows written in among them (``QuarantineWriter.place``)."""
        self.rows = array("q", (moved[row] for row in self.rows))

    def opposed(self, cur: psycopg.Cursor, aside: LinkEntries | None = None, linked: Linked | None = None) -> set[int]:
        """The lines of the rows linkage would set aside as an opposed person's, by the rules valid rows meet; nothing
        is written. Read after a batch's links are stored (its new opposed keys on the list, its persons in the
        store), with the entries of ``aside`` the batch's linkage (``linked``) set aside, so that a misspelt copy
        of an opposed row of the same batch is caught too."""
        if not self.rows:
            return set()
        dropped = [n for n, opposed in enumerate(linked.opposed) if opposed] if aside and linked else []
        keys = [*self.entries.keys, *(aside.keys[n] for n in dropped)]
        encodings = [*self.entries.encodings, *(aside.encodings[n] for n in dropped)]
        dumped = [None if enc is None else dumps(enc) for enc in encodings]
        opposed = _link_opposition_aside(cur, keys, encodings, dumped).opposed
        return {row for row, entry in zip(self.rows, self.entries.order, strict=True) if opposed[entry]}


def _with_evidence(
    linked: Linked, row_keys: Sequence[list[str]], dumped: list[str | None], order: Sequence[int]
) -> Linked:
    entries = np.asarray(order, dtype=np.int32)
    loaded = entries[~np.asarray(linked.opposed, dtype=bool)[entries]]  # a loaded row's ordinal is its position here
    by_entry = np.argsort(loaded, kind="stable").astype(np.int32)  # each entry's ordinals together, ascending
    bounds = np.zeros(len(row_keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(loaded, minlength=len(row_keys)), out=bounds[1:])
    linked.evidence = [
        (n, keys, text, by_entry[bounds[n] : bounds[n + 1]])
        for n, (keys, text) in enumerate(zip(row_keys, dumped, strict=True))
        if not linked.opposed[n]
    ]
    return linked


def _link_opposition_aside(
    cur: psycopg.Cursor,
    row_keys: Sequence[list[str]],
    encodings: Sequence[Encoding | None],
    dumped: Sequence[str | None],
) -> Linked:
    first = _link(cur, row_keys, encodings, dumped)
    # A stored person this batch merges into another counts too: the merge must not hide their opposition.
    stored_opposed = stored_opposed_persons(cur, {*first.person_keys, *first.rekeys})
    drop, new_opposed = opposed_rows(
        row_keys, first.person_keys, load_opposition(cur), {first.rekeys.get(p, p) for p in stored_opposed}
    )
    if not any(drop):
        return first
    # Linked again without them: a merge or a key their rows alone brought must not reach the store.
    kept = [n for n, dropped in enumerate(drop) if not dropped]
    linked = _link(cur, [row_keys[n] for n in kept], [encodings[n] for n in kept], [dumped[n] for n in kept])
    person_keys: list[str | None] = [None] * len(row_keys)
    for n, person in zip(kept, linked.person_keys, strict=True):
        person_keys[n] = person
    linked.person_keys, linked.opposed, linked.opposition = person_keys, drop, new_opposed
    # Stored persons found only now to be an opposed person (a tenancy loaded before the participant it names
    # was recognised): their rows were never to be loaded. Those already known as opposed keep what was
    # loaded before their opposition, as ``abord opposition add`` promises.
    opposed = {first.person_keys[n] for n, dropped in enumerate(drop) if dropped}
    reached = {p for p in {*first.person_keys, *first.rekeys} if first.rekeys.get(p, p) in opposed}
    linked.withdrawn = stored_persons(cur, reached - stored_opposed)
    return linked


def _link(
    cur: psycopg.Cursor,
    row_keys: Sequence[list[str]],
    encodings: Sequence[Encoding | None],
    dumped: Sequence[str | None],
) -> Linked:
    all_keys = sorted({k for keys in row_keys for k in keys})
    store = _stored_persons(cur, PERSONS_OF_KEYS, all_keys)
    exact = link(list(row_keys), store)
    stored_encodings = _stored_encodings(cur, encodings, dumped, exact)
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


def _stored_encodings(
    cur: psycopg.Cursor, encodings: Sequence[Encoding | None], dumped: Sequence[str | None], exact: LinkResult
) -> list[tuple[str, Encoding]]:
    """The stored (person key, encoding) pairs typo-tolerant linkage needs: the batch's own encodings as stored, and
    every encoding sharing a block with one the store does not hold under its row's person. Most rows of a month
    are persons seen before, written as before: their encodings bring nothing to compare, and the blocks only they
    touch are not read (nor decoded) at all."""
    # Stored encodings follow this batch's exact merges first, so the two passes never pull a person two ways.
    absorbed = dict(exact.merges)
    held = _stored_persons(cur, PERSONS_OF_ENCODINGS, sorted({t for t in dumped if t is not None}))
    held = {text: absorbed.get(p, p) for text, p in held.items()}
    twins: dict[str, tuple[str, Encoding]] = {}  # dumped encoding -> (its stored person, the batch's Encoding)
    unheld: list[Encoding] = []
    for enc, text, person in zip(encodings, dumped, exact.person_keys, strict=True):
        if enc is None or text is None:
            continue
        if text in held:
            twins[text] = (held[text], enc)
        if held.get(text) != person:
            unheld.append(enc)
    blocks = blocks_of(unheld)
    # Decoded as the rows are read, not fetched first: a new partner's first batch meets most stored encodings.
    rows = cur.execute(SELECT_BY_BLOCKS, {"blocks": blocks}) if blocks else []
    return [*twins.values(), *((absorbed.get(p, p), loads(text)) for p, text in rows if text not in twins)]


def _stored_persons(cur: psycopg.Cursor, query: str, values: list[str]) -> dict[str, str]:
    """value -> its stored person, for the values stored. The values are the batch's own strings and each person key
    is one string however many values it has: at 100k persons a shelter month sends ~170,000 identities, and
    reading the values back, or a person key per value, held hundreds of MB more at ingestion's peak."""
    persons: dict[str, str] = {}
    cur.execute(query, (values,))
    return {value: persons.setdefault(p, p) for value, (p,) in zip(values, cur, strict=True) if p is not None}


def _resolve_chains(merges: list[tuple[str, str]]) -> dict[str, str]:
    """absorbed -> final kept key, when an exact merge's kept key is itself absorbed by a probabilistic one."""
    final = dict(merges)
    for absorbed in final:
        while final[absorbed] in final and final[absorbed] != absorbed:
            final[absorbed] = final[final[absorbed]]
    return final


def store_links(cur: psycopg.Cursor, contracts: Iterable[Contract], linked: Linked, batch_id: int) -> None:
    """Write what ``link_rows`` decided, in the batch's transaction."""
    cur.execute(
        "insert into identity.link_keys (link_key, person_key) select * from unnest(%s::text[], %s::text[])"
        " on conflict (link_key) do update set person_key = excluded.person_key",
        (list(linked.mappings), list(linked.mappings.values())),
    )
    _apply_rekeys(cur, contracts, linked.rekeys)
    encodings = dict(linked.encodings)  # one row per encoding: a statement may not update a row twice
    cur.execute(UPSERT_ENCODINGS, (list(encodings), list(encodings.values())))
    cur.executemany(
        "insert into audit.person_merges (absorbed_person_key, kept_person_key, batch_id, kind)"
        " values (%s, %s, %s, %s)",
        [(absorbed, kept, batch_id, kind) for absorbed, kept, kind in linked.merges],
    )
    add_opposition(cur, linked.opposition)
    withdraw_opposed(cur, linked.withdrawn, [c.raw_table for c in contracts if c.is_person_level])
    # As COPY text: psycopg's write_row dumps an array element by element in Python, and the row ordinals number
    # as many as the batch's rows (2.4 s of a profiled 75 s ingestion of a 2,000-person month went there).
    lines = (
        f"{batch_id}\t{entry}\t{copy_text(linked.person_keys[entry])}\t{copy_text_array(keys)}"
        f"\t{COPY_NULL if encoding is None else copy_text(encoding)}\t{copy_integer_array(ordinals.tolist())}\n"
        for entry, keys, encoding, ordinals in linked.evidence
    )
    with cur.copy(
        "copy identity.link_evidence (batch_id, entry, person_key, link_keys, encoding, row_ordinals) from stdin"
    ) as copy:
        while chunk := "".join(islice(lines, 1000)):  # a write goes to the server at once: a thousand lines each
            copy.write(chunk)
    split_replaced(cur, {c.name: c for c in contracts}, linked.person_keys, batch_id)


def _apply_rekeys(cur: psycopg.Cursor, contracts: Iterable[Contract], rekeys: dict[str, str]) -> None:
    """Two stored persons found to be one: rows already loaded, link keys and encodings follow the kept key.
    One update per table for all merges: a merge at a time would rescan every raw table."""
    if not rekeys:
        return
    mapping = (list(rekeys), list(rekeys.values()))
    person_level = [c for c in contracts if c.is_person_level]
    for contract in person_level:
        cur.execute(raw_table_ddl(contract))
    identity = ["identity.link_keys", "identity.bloom_encodings", "identity.link_evidence"]
    for table in [*(c.raw_table for c in person_level), *identity]:
        cur.execute(
            f"update {table} as t set person_key = m.kept"
            " from unnest(%s::text[], %s::text[]) as m (absorbed, kept) where t.person_key = m.absorbed",
            mapping,
        )
