"""The warehouse side of ``abord key rotate``: every stored keyed value wrapped by the rotation key in one pass.

The wrap itself is ``pseudonymisation.link_keys.rotate_digest`` and ``pseudonymisation.rotation.rotate_encoding``
(design in ``pseudonymisation/rotation.py``); this module rewrites the tables, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pseudonymisation.link_keys import rotate_digest
from pseudonymisation.probabilistic import dumps, loads
from pseudonymisation.rotation import rotate_encoding


def _rewrite(cur: Any, table: str, column: str, change: Callable[[str], str], array: bool = False) -> int:
    """Replace every value of ``table.column`` (each element, for a text[] ``array``) by ``change(value)``
    through a temporary mapping table."""
    values = f"unnest({column})" if array else column
    cur.execute(f"select distinct {values} from {table} where {column} is not null")
    pairs = [(old, change(old)) for (old,) in cur.fetchall()]
    cur.execute("create temporary table _abord_rekey (old text primary key, new text not null) on commit drop")
    with cur.copy("copy _abord_rekey (old, new) from stdin") as copy:
        for pair in pairs:
            copy.write_row(pair)
    if array:
        cur.execute(
            f"update {table} as t set {column} = array(select r.new from unnest(t.{column}) with ordinality"
            " as k (old, n) join _abord_rekey as r using (old) order by k.n)"
        )
    else:
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


def rotate_key_arrays(cur: Any, rotation: bytes, table: str, column: str) -> int:
    """Wrap every keyed digest held in the text[] ``table.column`` (the provenance's link keys)."""
    return _rewrite(cur, table, column, lambda d: rotate_digest(rotation, d), array=True)
