"""Keyed link keys: HMAC encodings of normalised identifiers used to match a person across partners.

Only these keyed digests leave the door; without the secret key they cannot be reversed or
recomputed from a guessed identity. Each kind of key has its own HMAC domain, so the same value
in two roles (a name that is also an e-mail local part, say) never yields the same digest, and the
kind is never written in clear in the returned string.

Which keys, and why (partners make different mistakes, and one shared key suffices to link):
- ``nir``: the social security number, when its check key validates — the strongest identifier.
- ``ssn``: a US social security number (HMIS exports), when it is whole and could have been issued.
- ``names_dob``: both names as a *sorted* pair plus birth date, so a given/family swap (frequent
  in hospital and court extracts) produces the same key.
- ``first_given_dob``: the first given name only ("MARIE HELENE" -> "MARIE") with family name and
  birth date, because partners often keep only the first part of a compound given name.
- ``names_dob_swapped``: names plus the *sorted* pair {date, date with day and month swapped},
  emitted when the day is <= 12, so a dd/mm vs mm/dd entry error still links.
- ``email``: a personal e-mail address.
- ``phone_dob``: phone plus birth date — a phone alone is often shared (a hostel, a relative).
Sex is not used: it is frequently missing or coded inconsistently, and the NIR already carries it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from pseudonymisation import normalise

_SEP = "\x1f"  # ASCII unit separator: cannot occur in a normalised value


def keyed_hash(key: bytes, domain: str, value: str) -> str:
    """HMAC-SHA256 of ``domain + "\\x1f" + value`` as a hex digest, wrapped by each rotation key of ``key``."""
    return keyed_hasher(key, domain)(value)


def keyed_hasher(key: bytes, domain: str) -> Callable[[str], str]:
    """``keyed_hash(key, domain, ...)`` with the key and domain taken in once: ingestion hashes a record id per
    row, half a million a month at 2,000 persons. Lives only in this process's memory."""
    inner, outer = _keyed_domain(bytes(key), domain)
    rotations = tuple(getattr(key, "rotations", ()))

    def hashed(value: str) -> str:
        # RFC 2104 from copies of the two SHA-256 states: hmac.HMAC.copy builds a Python object per call, which
        # cost as much again as the hashing
        state = inner.copy()
        state.update(value.encode("utf-8"))
        wrapped = outer.copy()
        wrapped.update(state.digest())
        digest = wrapped.hexdigest()
        for rotation in rotations:
            digest = rotate_digest(rotation, digest)
        return digest

    return hashed


_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))  # as hmac.py: the key XOR 0x36, then XOR 0x5C
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


@lru_cache(maxsize=64)
def _keyed_domain(key: bytes, domain: str) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256's inner state after the key and the domain prefix, and its outer state after the key; only ever
    copied, never updated."""
    block = hashlib.sha256().block_size
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = hashlib.sha256(key.translate(_INNER_PAD))
    inner.update((domain + _SEP).encode("utf-8"))
    return inner, hashlib.sha256(key.translate(_OUTER_PAD))


def rotate_digest(rotation: bytes, digest: str) -> str:
    """One rotation's wrap of a stored keyed digest: what ``abord key rotate`` applies to the store."""
    return hmac.new(rotation, ("rotate" + _SEP + digest).encode("ascii"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Identity:
    """Direct identifiers of one record, raw as read from a partner file.

    Fields are hidden from repr so an Identity never leaks into a log line or a traceback.
    """

    given_name: str | None = field(default=None, repr=False)
    family_name: str | None = field(default=None, repr=False)
    birth_date: date | str | None = field(default=None, repr=False)
    sex: str | None = field(default=None, repr=False)
    nir: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    national_id: str | None = field(default=None, repr=False)  # a US social security number (HMIS exports)


def _swapped_day_month(iso: str) -> str | None:
    year, month, day = iso.split("-")
    if int(day) > 12:
        return None
    return f"{year}-{day}-{month}"


def link_keys(key: bytes, identity: Identity, today: date | None = None) -> list[str]:
    """The sorted, unique keyed link keys of one record (hex strings only); a birth date after ``today``
    (``normalise.birth_date``) links nothing."""
    keys: set[str] = set()

    def add(domain: str, *parts: str) -> None:
        keys.add(keyed_hash(key, domain, "|".join(parts)))

    nir = normalise.nir(identity.nir)
    if nir:
        add("nir", nir)
    ssn = normalise.ssn(identity.national_id)
    if ssn:
        add("ssn", ssn)

    given = normalise.name(identity.given_name)
    family = normalise.name(identity.family_name)
    dob = normalise.birth_date(identity.birth_date, today)
    if given and family and dob:
        pair = sorted((given, family))
        add("names_dob", *pair, dob)
        add("first_given_dob", family, given.split(" ")[0], dob)
        swapped = _swapped_day_month(dob)
        if swapped:
            add("names_dob_swapped", *pair, *sorted((dob, swapped)))

    email = normalise.email(identity.email)
    if email:
        add("email", email)

    phone = normalise.phone(identity.phone)
    if phone and dob:
        add("phone_dob", phone, dob)

    return sorted(keys)


def record_key(key: bytes, source: str, record_id: str) -> str:
    """A partner's own record id as a keyed reference, namespaced by source."""
    return record_keyer(key, source)(record_id)


def record_keyer(key: bytes, source: str) -> Callable[[str], str]:
    """``record_key(key, source, ...)`` for the record ids of one source, one a row."""
    return keyed_hasher(key, "record:" + source)
