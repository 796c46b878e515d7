"""Key rotation that keeps every link: stored keyed values are wrapped by a new key, in one pass.

Why not simply re-hash under a new key: link keys, record references and the probabilistic encodings
are HMACs of identifiers the warehouse never keeps, so nothing can recompute them under a new key
except a new extract. Instead the key file is an *onion*: the base key on its first line, then one
rotation key per rotation. Every keyed digest is computed under the base key and then wrapped once per
rotation key, ``d -> HMAC(rotation, "rotate" | d)`` (``link_keys.keyed_hash``); Bloom filters have their
bit positions moved by a permutation keyed by the rotation (``bloom.rotate_filter``), which keeps Dice.

``abord key rotate`` therefore (1) draws a rotation key and writes the extended key file beside the
current one, (2) applies the wrap to every stored keyed value in one transaction (``rotate_columns``,
``rotate_encodings``), (3) commits, then moves the new file over the old. Links survive: what the next
extract computes under the extended key equals what the store now holds.

What it protects against: a copy of the warehouse together with an *old* key file (a leaked backup, a
departed administrator) no longer lets anyone test guessed identities against the store. It does not
help if the *current* file leaks with the warehouse: then draw a new base key (`abord key new` on a new
file) and re-link from the next full extract of every partner; person keys are random and can be carried
over by linking the extract under both files once (old link keys -> person key -> new link keys).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pseudonymisation import bloom
from pseudonymisation.link_keys import rotate_digest
from pseudonymisation.probabilistic import Encoding, dumps, loads


def rotate_encoding(rotation: bytes, enc: Encoding) -> Encoding:
    """``enc`` as it would have been computed with ``rotation`` appended to the key."""

    def r(d: str) -> str:
        return rotate_digest(rotation, d)

    return Encoding(
        given=bloom.rotate_filter(rotation, enc.given),
        family=bloom.rotate_filter(rotation, enc.family),
        given_tokens=frozenset(map(r, enc.given_tokens)),
        family_tokens=frozenset(map(r, enc.family_tokens)),
        dob=r(enc.dob),
        dob_swapped=r(enc.dob_swapped) if enc.dob_swapped else None,
        dob_parts=(r(enc.dob_parts[0]), r(enc.dob_parts[1]), r(enc.dob_parts[2])),
        year_masks=frozenset(map(r, enc.year_masks)),
        sex=r(enc.sex) if enc.sex else None,
        postcode=r(enc.postcode) if enc.postcode else None,
        nir=r(enc.nir) if enc.nir else None,
        blocks=tuple(map(r, enc.blocks)),
    )


def _rewrite(cur: Any, table: str, column: str, change: Callable[[str], str]) -> int:
    """Replace every value of ``table.column`` by ``change(value)`` through a temporary mapping table."""
    cur.execute(f"select distinct {column} from {table} where {column} is not null")
    pairs = [(old, change(old)) for (old,) in cur.fetchall()]
    cur.execute("create temporary table _abord_rekey (old text primary key, new text not null) on commit drop")
    with cur.copy("copy _abord_rekey (old, new) from stdin") as copy:
        for pair in pairs:
            copy.write_row(pair)
    cur.execute(f"update {table} t set {column} = r.new from _abord_rekey r where t.{column} = r.old")
    cur.execute("drop table _abord_rekey")
    return len(pairs)


def rotate_columns(cur: Any, rotation: bytes, columns: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Wrap every keyed digest in the given (table, column)s; run inside the caller's transaction."""
    return {f"{t}.{c}": _rewrite(cur, t, c, lambda d: rotate_digest(rotation, d)) for t, c in columns}


def rotate_encodings(cur: Any, rotation: bytes, table: str, column: str) -> int:
    """Rotate the JSON encodings (``probabilistic.dumps``) stored as text in ``table.column``."""

    def change(text: str) -> str:
        return dumps(rotate_encoding(rotation, loads(text)))

    return _rewrite(cur, table, column, change)
