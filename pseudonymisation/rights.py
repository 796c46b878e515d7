"""People's rights: the opposition list and erasure, through link keys only (pure functions).

An opposition or erasure request arrives as identifiers (a CSV with the canonical columns of
`abord link`). They are turned into link keys (``request_keys``) and, so that a misspelt return is recognised
too, keyed encodings (``request_encodings``) at once, and only those are kept: the request file itself is the
steward's to delete.

- Opposition: ingestion drops every row whose link keys meet the list, or that linkage puts with such a row
  or with a stored person holding an opposed key or encoding (``opposed_rows``), and adds those rows' own keys to the
  list, so that rows referencing them (a tenancy naming the participant id) are dropped as well, now or in
  a later batch.
- Erasure: the persons those keys reach lose every stored row, link key, encoding and merge, and their keys
  join the opposition list so the next extract does not bring them back.

Storing the list and erasing are the caller's (in this project ``pipelines/identity_store.py`` and
``pipelines/erasure.py``): nothing here knows a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from pseudonymisation.link_keys import Identity, link_keys
from pseudonymisation.probabilistic import dumps, encode_identity


def identity_of(row: Mapping[str, str | None]) -> Identity:
    """The Identity of a row with canonical identifier columns (absent or blank cells are None)."""
    return Identity(**{f: _cell(row.get(f)) for f in Identity.__dataclass_fields__})


def _cell(value: str | None) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def request_keys(
    key: bytes, rows: Iterable[Mapping[str, str | None]], today: date | None = None
) -> tuple[set[str], int]:
    """Link keys of every identity in a request, and how many identities gave at least one key. ``today`` is the
    day ingestion keys its rows by (the programme's, not the machine's): a birth date on it must key here too."""
    keys: set[str] = set()
    usable = 0
    for row in rows:
        found = link_keys(key, identity_of(row), today)
        usable += bool(found)
        keys.update(found)
    return keys, usable


def request_encodings(key: bytes, rows: Iterable[Mapping[str, str | None]], today: date | None = None) -> list[str]:
    """The dumped encodings (``probabilistic.dumps``: keyed values only) of the identities of a request that
    have both names and a birth date (not after ``today``, as for ``request_keys``), one per identity."""
    encodings = (encode_identity(key, identity_of(row), _cell(row.get("postcode")), today) for row in rows)
    return [dumps(e) for e in encodings if e is not None]


def opposed_rows(
    row_keys: Sequence[Sequence[str]],
    person_keys: Sequence[str],
    opposed: set[str],
    opposed_persons: Iterable[str] = (),
) -> tuple[list[bool], set[str]]:
    """Which rows of a linked batch to drop, and the keys to add to the opposition list.

    A row is dropped when any of its keys is opposed, or when linkage put it with such a row (the same
    person written differently), or with a stored person already known to be opposed (``opposed_persons``:
    a row reaching them through another key, or through a typo, is theirs too). The dropped rows' keys
    (record references included) are returned so that a later batch's rows that only reference them are
    caught as well.
    """
    hit_persons = {p for keys, p in zip(row_keys, person_keys, strict=True) if opposed.intersection(keys)}
    hit_persons |= set(opposed_persons)
    drop = [p in hit_persons for p in person_keys]
    new_keys = {k for keys, d in zip(row_keys, drop, strict=True) if d for k in keys} - opposed
    return drop, new_keys
