"""Identifier values already handed out, in a fixed amount of memory whatever the number of persons.

A set of every NIR, phone and e-mail grew by some 300 bytes a person. This keeps one bit per hash
instead: a value never seen may test as seen (about 1% of draws at a million persons), which only
costs a redraw, while a value seen always tests as seen, so uniqueness still holds.
"""

from __future__ import annotations

import zlib

BITS = 1 << 28  # 32 MiB


class SeenValues:
    def __init__(self) -> None:
        self._bits = bytearray(BITS // 8)

    @staticmethod
    def _slot(value: str) -> tuple[int, int]:
        h = zlib.crc32(value.encode()) % BITS
        return h >> 3, 1 << (h & 7)

    def __contains__(self, value: str) -> bool:
        byte, bit = self._slot(value)
        return bool(self._bits[byte] & bit)

    def add(self, value: str) -> None:
        byte, bit = self._slot(value)
        self._bits[byte] |= bit
