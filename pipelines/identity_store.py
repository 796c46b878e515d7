"""The warehouse side of the identity store: the keyed-encodings table and the opposition list.

SQL only; the keyed values themselves come from ``pseudonymisation`` (``probabilistic.dumps``,
``rights.request_keys``, ``rights.opposed_rows``). The functions take an open cursor.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# One row per distinct encoding; its blocks live inside the JSON (so a key rotation rewrites them with it)
# and a GIN index on them serves the batch's look-up.
ENCODINGS_DDL = """
create table if not exists identity.bloom_encodings (
    encoding text primary key,
    person_key text not null
);
create index if not exists bloom_encodings_person on identity.bloom_encodings (person_key);
create index if not exists bloom_encodings_blocks on identity.bloom_encodings using gin (((encoding::jsonb) -> 'b'));
"""
# Parameter: the batch's blocks (a list of text).
SELECT_BY_BLOCKS = "select person_key, encoding from identity.bloom_encodings where (encoding::jsonb) -> 'b' ?| %s"
# Parameters: rows of (encoding, person_key) from ``new_encodings``, dumped.
UPSERT_ENCODING = (
    "insert into identity.bloom_encodings (encoding, person_key) values (%s, %s) "
    "on conflict (encoding) do update set person_key = excluded.person_key"
)

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
