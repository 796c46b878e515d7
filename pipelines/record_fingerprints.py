"""Which record ids a batch has met, in 8 to 16 bytes a row: a set of the ids themselves took ~85 bytes a row,
some 650 MiB for the 7.9 million shelter nights of a month at 100,000 persons.

Each keyed record ref (64 hex digits of HMAC output, so uniformly spread) is remembered by its first 64 bits in
an open-addressing table. A fingerprint met before only says the row *may* repeat an id: ingestion holds such
rows back and settles them exactly once reading is done (``BatchSpool.record_refs``).
"""

from __future__ import annotations

from array import array

EMPTY = 0


def fingerprint(record_ref: str) -> int:
    return int(record_ref[:16], 16) or 1  # 0 marks an empty slot


class RecordFingerprints:
    def __init__(self, capacity: int = 1 << 16):
        self._slots = _empty(capacity)
        self._mask = capacity - 1
        self._count = 0

    def add(self, record_ref: str) -> bool:
        """Remember the ref; whether its fingerprint was there already (the ref may have been met)."""
        value = fingerprint(record_ref)
        slots, mask = self._slots, self._mask
        slot = value & mask
        while (held := slots[slot]) != EMPTY:
            if held == value:
                return True
            slot = (slot + 1) & mask
        slots[slot] = value
        self._count += 1
        if 2 * self._count > mask:  # linear probing stays short below half full
            self._grow()
        return False

    def _grow(self) -> None:
        old = self._slots
        self._slots = _empty(2 * len(old))
        self._mask = len(self._slots) - 1
        slots, mask = self._slots, self._mask
        for value in old:
            if value != EMPTY:
                slot = value & mask
                while slots[slot] != EMPTY:
                    slot = (slot + 1) & mask
                slots[slot] = value


def _empty(capacity: int) -> array:
    # Repeating a one-slot array allocates the table once; array("Q", bytes(...)) held a copy of it as bytes too.
    return array("Q", [EMPTY]) * capacity
