"""The identity store remembers which key built it: a keyed digest of a fixed label, HMAC output like a link key,
which a key rotation re-keys with the rest.

A load or a rights command under another key (a wrong key file restored, an old one left on a second machine, a
rotation committed while a load waited for the writers' lock) would recognise nobody already stored: every row
would make a new person, and nothing would say so. It is refused before anything is written.

A store that holds identities from before it kept the check (an upgraded warehouse) cannot tell at once: its first
load of persons records the key only if some of them were already stored under it (under another key, none would
be), and is refused otherwise.
"""

from __future__ import annotations

from typing import Any

from pseudonymisation.keys import KeyFileError
from pseudonymisation.link_keys import keyed_hash

KEY_CHECK_DDL = """
create table if not exists identity.key_check (digest text not null);
create unique index if not exists key_check_one_row on identity.key_check ((true));
"""
KEY_CHECK_COLUMN = ("identity.key_check", "digest")
UNCONFIRMED = (
    "the warehouse holds identities from before it kept a check of its key, and has not recorded that key yet:"
    " load first, under its key file, an extract of persons it knows (the housing participants)"
)


def check_key(cur: Any, key: bytes) -> bool:
    """In the caller's transaction, under the writers' lock: whether the store is known to be this key's. An empty
    store records it; a store of another key refuses it; an upgraded store without a check says False (adopt_key)."""
    stored = cur.execute("select digest from identity.key_check").fetchone()
    if stored is not None:
        if stored[0] != _digest(key):
            raise KeyFileError(
                "the key file is not the key the warehouse's identities were made with (nor that key with its"
                " rotations): nothing was written. Use the key file of this warehouse (ABORD_KEY_FILE); after"
                " `abord key rotate`, the rotated file."
            )
        return True
    if cur.execute("select exists (select from identity.link_keys)").fetchone()[0]:
        return False
    _record(cur, key)
    return True


def adopt_key(cur: Any, key: bytes, persons: set[str], persons_new: int) -> None:
    """An upgraded store's load of `persons`: records the key when some of them were stored before, else refuses."""
    if persons and persons_new == len(persons):
        raise KeyFileError(
            f"none of this extract's {len(persons)} persons is among those it already holds, so it cannot tell"
            f" whether this key file is theirs; nothing was loaded. {UNCONFIRMED[0].upper()}{UNCONFIRMED[1:]}"
        )
    if persons:
        _record(cur, key)


def _digest(key: bytes) -> str:
    return keyed_hash(key, "key_check", "abord")


def _record(cur: Any, key: bytes) -> None:
    cur.execute("insert into identity.key_check (digest) values (%s)", (_digest(key),))
