"""The identity store remembers which key built it: a keyed digest of a fixed label, HMAC output like a link key,
which a key rotation re-keys with the rest.

A load or a rights command under another key (a wrong key file restored, an old one left on a second machine, a
rotation committed while a load waited for the writers' lock) would recognise nobody already stored: every row
would make a new person, and nothing would say so. It is refused before anything is written.
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


def check_key(cur: Any, key: bytes) -> None:
    """In the caller's transaction, under the writers' lock: the first use of the store records the key's digest,
    later ones must match it."""
    digest = keyed_hash(key, "key_check", "abord")
    stored = cur.execute("select digest from identity.key_check").fetchone()
    if stored is None:
        cur.execute("insert into identity.key_check (digest) values (%s)", (digest,))
    elif stored[0] != digest:
        raise KeyFileError(
            "the key file is not the key the warehouse's identities were made with (nor that key with its"
            " rotations): nothing was written. Use the key file of this warehouse (ABORD_KEY_FILE); after"
            " `abord key rotate`, the rotated file."
        )
