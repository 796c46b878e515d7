"""Key rotation that keeps every link: stored keyed values are wrapped by a new key, in one pass.

Why not simply re-hash under a new key: link keys, record references and the probabilistic encodings
are HMACs of identifiers the warehouse never keeps, so nothing can recompute them under a new key
except a new extract. Instead the key file is an *onion*: the base key on its first line, then one
rotation key per rotation. Every keyed digest is computed under the base key and then wrapped once per
rotation key, ``d -> HMAC(rotation, "rotate" | d)`` (``link_keys.keyed_hash``); Bloom filters have their
bit positions moved by a permutation keyed by the rotation (``bloom.rotate_filter``), which keeps Dice.

``abord key rotate`` therefore (1) draws a rotation key and writes the extended key file beside the
current one, (2) applies the wrap to every stored keyed value in one transaction (``rotate_digest`` on
each digest, ``rotate_encoding`` on each encoding; the table rewrite is ``pipelines/key_rotation.py``),
(3) commits, then moves the new file over the old. Links survive: what the next
extract computes under the extended key equals what the store now holds.

What it protects against: a copy of the warehouse together with an *old* key file (a leaked backup, a
departed administrator) no longer lets anyone test guessed identities against the store. It does not
help if the *current* file leaks with the warehouse: then draw a new base key (`abord key new` on a new
file) and re-link from the next full extract of every partner; person keys are random and can be carried
over by linking the extract under both files once (old link keys -> person key -> new link keys).
"""

from __future__ import annotations

from pseudonymisation import bloom
from pseudonymisation.link_keys import rotate_digest
from pseudonymisation.probabilistic import Encoding


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
