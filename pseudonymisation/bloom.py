"""Keyed Bloom-filter encodings of names, for typo-tolerant comparison without keeping the name.

A name's padded bigrams (" DUPONT " -> " D", "DU", ..., "T ") each set ``HASHES`` bits of a
``BITS``-bit filter at positions drawn from an HMAC keyed per field (a key derived from the main key,
so given and family names never share positions and no two deployments can compare filters). The
filter is then XOR-folded in half, which breaks the one-bigram-to-its-bits mapping that frequency
attacks on Bloom filters rely on, at a small cost in precision. Two filters are compared with the Dice
coefficient: a typo changes two bigrams out of many and keeps Dice high.

Filters are Python ints (bit sets): cheap ``&`` and ``bit_count``; stored as hex.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from functools import lru_cache

BITS = 1024  # before folding: the stored filter has BITS // 2 bits
HASHES = 15  # positions per bigram; 15 two-byte slices of one SHA-256 digest (16 available)
_FOLDED = BITS // 2
_MASK = (1 << _FOLDED) - 1


def field_key(key: bytes, field: str) -> bytes:
    """The per-field secret: HMAC of the field name under the main key (carrying its rotations, if any)."""
    digest = hmac.new(key, ("bloom\x1f" + field).encode("utf-8"), hashlib.sha256).digest()
    rotations = tuple(getattr(key, "rotations", ()))
    return _Rotated(digest, rotations) if rotations else digest


class _Rotated(bytes):
    rotations: tuple[bytes, ...]

    def __new__(cls, value: bytes, rotations: tuple[bytes, ...]) -> _Rotated:
        self = super().__new__(cls, value)
        self.rotations = rotations
        return self

    def __repr__(self) -> str:
        return "<field key>"


@lru_cache(maxsize=8)
def _permutation(rotation: bytes) -> tuple[int, ...]:
    """A keyed permutation of the folded filter's positions (Fisher–Yates on an HMAC stream)."""
    order = list(range(_FOLDED))
    stream = b""
    counter = 0
    for i in range(_FOLDED - 1, 0, -1):
        if len(stream) < 4:
            stream += hmac.new(rotation, b"bloom-permutation" + counter.to_bytes(8, "big"), hashlib.sha256).digest()
            counter += 1
        j = int.from_bytes(stream[:4], "big") % (i + 1)
        stream = stream[4:]
        order[i], order[j] = order[j], order[i]
    return tuple(order)


def rotate_filter(rotation: bytes, bits: int) -> int:
    """One rotation applied to a stored filter: its bits moved by a keyed permutation, so Dice is unchanged."""
    permutation = _permutation(bytes(rotation))
    out = 0
    while bits:
        low = bits & -bits
        out |= 1 << permutation[low.bit_length() - 1]
        bits ^= low
    return out


def bigrams(value: str) -> set[str]:
    padded = f" {value} "
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def encode(fkey: bytes, value: str) -> int:
    """The folded filter of a normalised value (see ``normalise.name``)."""
    bits = 0
    for gram in bigrams(value):
        bits |= _gram_bits(fkey, gram)
    folded = (bits ^ (bits >> _FOLDED)) & _MASK
    for rotation in getattr(fkey, "rotations", ()):
        folded = rotate_filter(rotation, folded)
    return folded


@lru_cache(maxsize=1 << 15)
def _gram_bits(fkey: bytes, gram: str) -> int:
    """The bits one bigram sets under one field key. Names share a few thousand bigrams: hashing each once,
    not once per name, made encoding several times faster. Lives only in this process's memory."""
    digest = hmac.new(fkey, gram.encode("utf-8"), hashlib.sha256).digest()
    bits = 0
    for position in struct.unpack(">16H", digest)[:HASHES]:
        bits |= 1 << (position % BITS)
    return bits


def dice(a: int, b: int) -> float:
    total = a.bit_count() + b.bit_count()
    return 2 * (a & b).bit_count() / total if total else 0.0


def to_hex(bits: int) -> str:
    return f"{bits:0{_FOLDED // 4}x}"


def from_hex(text: str) -> int:
    return int(text, 16)
