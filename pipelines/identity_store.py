"""The warehouse side of the identity store: the keyed-encodings table and the opposition list.

SQL only; the keyed values themselves come from ``pseudonymisation`` (``probabilistic.dumps``,
``rights.request_keys``, ``rights.request_encodings``, ``rights.opposed_rows``). The functions take an open cursor.

The opposition list holds link keys (exact) and, for typos, encodings: each opposed identity's encodings are
stored among the others under an opposed person key (``identity.opposed_persons``) that no raw row carries.
Linkage then meets them as it meets any stored person, a key rotation re-keys them with the rest, and a row
linked to such a person is set aside.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import uuid4

from pipelines.key_check import KEY_CHECK_DDL

ENCODINGS_TABLE = "identity.bloom_encodings"
EVIDENCE_TABLE = "identity.link_evidence"
# One row per distinct encoding. Its blocks (``probabilistic._blocks``, one per kind) live inside the JSON, so a key
# rotation rewrites them with it, and are copied out into generated, indexed columns for the batch's look-up
# (matching the JSON's GIN index against the thousands of blocks of a batch cost seconds).
ENCODINGS_DDL = """
create table if not exists identity.bloom_encodings (
    encoding text primary key,
    person_key text not null
);
create index if not exists bloom_encodings_person on identity.bloom_encodings (person_key);
drop index if exists identity.bloom_encodings_blocks;
alter table identity.bloom_encodings
    add column if not exists block_date text generated always as ((encoding::jsonb) -> 'b' ->> 0) stored,
    add column if not exists block_year text generated always as ((encoding::jsonb) -> 'b' ->> 1) stored,
    add column if not exists block_day_month text generated always as ((encoding::jsonb) -> 'b' ->> 2) stored;
create index if not exists bloom_encodings_block_date on identity.bloom_encodings (block_date);
create index if not exists bloom_encodings_block_year on identity.bloom_encodings (block_year);
create index if not exists bloom_encodings_block_day_month on identity.bloom_encodings (block_day_month);
"""
# Parameter ``blocks``: the batch's blocks (a list of text), sent in binary like the encodings below. A few blocks
# are probed in the indexes; many (a first load) are hashed for one scan.
SELECT_BY_BLOCKS = (
    "select person_key, encoding from identity.bloom_encodings where block_date = any(%(blocks)b::text[])"
    " or block_year = any(%(blocks)b::text[]) or block_day_month = any(%(blocks)b::text[])"
)
# Parameter: dumped encodings (a list of text); the person of each, in order (null: not stored). Only the person
# comes back, so a batch's encodings are not held twice. Binary: as a text array, each JSON's every quote would be
# escaped, which cost more than the look-up.
PERSONS_OF_ENCODINGS = (
    "select e.person_key from unnest(%b::text[]) with ordinality as b (encoding, n)"
    " left join identity.bloom_encodings as e using (encoding) order by b.n"
)
# Parameter: link keys (a list of text); the person of each, in order (null: not stored).
PERSONS_OF_KEYS = (
    "select l.person_key from unnest(%s::text[]) with ordinality as k (link_key, n)"
    " left join identity.link_keys as l using (link_key) order by k.n"
)
# Parameters: the dumped encodings and the person key of each, as two lists (one statement for a batch's
# thousands: a statement per row took seconds), the encodings in binary as above.
UPSERT_ENCODINGS = (
    "insert into identity.bloom_encodings (encoding, person_key) select * from unnest(%b::text[], %s::text[])"
    " on conflict (encoding) do update set person_key = excluded.person_key"
)

# Provenance of the store, keyed values only: each distinct identity (``LinkEntries`` entry) of each loaded batch,
# with the positions of its rows among the batch's loaded rows (by source row). When a corrected file replaces a
# batch, the persons it touched are re-clustered from what the current batches still say.
EVIDENCE_DDL = """
create table if not exists identity.link_evidence (
    batch_id bigint not null,
    entry integer not null,
    person_key text not null,
    link_keys text[] not null,
    encoding text,
    row_ordinals integer[] not null,
    primary key (batch_id, entry)
);
create index if not exists link_evidence_person on identity.link_evidence (person_key);
create table if not exists audit.person_splits (
    person_key text not null,
    new_person_key text not null,
    batch_id bigint not null references audit.batches,
    records_moved integer not null,
    rows_moved integer not null,
    split_at timestamptz not null default now()
);
"""

# With the encodings and the provenance: erasure and opposition reach both.
RIGHTS_DDL = (
    ENCODINGS_DDL
    + EVIDENCE_DDL
    + KEY_CHECK_DDL
    + """
create table if not exists identity.opposition (
    link_key text primary key,
    added_at timestamptz not null default now()
);
create table if not exists identity.opposed_persons (
    person_key text primary key,
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
)


def ensure_rights_schema(cur: Any) -> None:
    cur.execute(RIGHTS_DDL)


def load_opposition(cur: Any) -> set[str]:
    cur.execute("select link_key from identity.opposition")
    return {k for (k,) in cur.fetchall()}


def stored_opposed_persons(cur: Any, person_keys: Iterable[str]) -> set[str]:
    """Those of ``person_keys`` that hold an opposed link key in ``identity.link_keys`` (opposition added
    after a person was first loaded keeps their later rows out, whatever key or typo links those rows to
    them), or that are opposed persons (encodings of an opposed or erased identity)."""
    cur.execute(
        "select l.person_key from identity.link_keys as l join identity.opposition as o using (link_key)"
        " where l.person_key = any(%(p)s)"
        " union select person_key from identity.opposed_persons where person_key = any(%(p)s)",
        {"p": sorted(set(person_keys))},
    )
    return {p for (p,) in cur.fetchall()}


def stored_persons(cur: Any, person_keys: Iterable[str]) -> set[str]:
    """Those of ``person_keys`` that hold a link key: persons loaded, not opposed identities nor new keys."""
    cur.execute(
        "select distinct person_key from identity.link_keys where person_key = any(%s)", (sorted(set(person_keys)),)
    )
    return {p for (p,) in cur.fetchall()}


def add_opposition(cur: Any, keys: Iterable[str], encodings: Iterable[str] = ()) -> int:
    """Add link keys, and dumped encodings (one per identity, each under a new opposed person key), to the
    opposition list; returns how many link keys were new. An encoding already stored stays with its person:
    that identity's link keys are opposed too."""
    keys = sorted(set(keys))
    added = 0
    if keys:
        cur.execute(
            "insert into identity.opposition (link_key) select unnest(%s::text[]) on conflict do nothing", (keys,)
        )
        added = cur.rowcount
    encodings = sorted(set(encodings))
    if encodings:
        cur.execute(
            "with added as (insert into identity.bloom_encodings (encoding, person_key)"
            " select * from unnest(%s::text[], %s::text[]) on conflict do nothing returning person_key)"
            " insert into identity.opposed_persons (person_key) select person_key from added",
            (encodings, [uuid4().hex for _ in encodings]),
        )
    return added


def oppose_stored_encodings(cur: Any, persons: Iterable[str], table: str = ENCODINGS_TABLE) -> None:
    """The stored encodings of ``persons`` (being erased) pass to new opposed person keys, one per person, so
    that the erased key is gone and a returning identity, even misspelt, is recognised as opposed."""
    persons = sorted(set(persons))
    cur.execute(
        f"with moved as (update {table} as e set person_key = m.opposed"
        " from unnest(%s::text[], %s::text[]) as m (person, opposed) where e.person_key = m.person"
        " returning e.person_key)"
        " insert into identity.opposed_persons (person_key) select distinct person_key from moved",
        (persons, [uuid4().hex for _ in persons]),
    )
