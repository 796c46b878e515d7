"""The identity store's encodings table: the DDL and look-up the pipeline uses, on a real database."""

from __future__ import annotations

import psycopg

from pipelines.identity_store import ENCODINGS_DDL, SELECT_BY_BLOCKS, UPSERT_ENCODING
from pipelines.warehouse import ensure_base_schema
from pseudonymisation.link_keys import Identity
from pseudonymisation.probabilistic import blocks_of, dumps, encode_identity, link_probabilistic, loads

KEY = bytes(range(32))


def _enc(given: str, family: str, dob: str):
    enc = encode_identity(KEY, Identity(given_name=given, family_name=family, birth_date=dob))
    assert enc is not None
    return enc


def test_store_round_trip_on_a_real_database(warehouse_url: str) -> None:
    """Stored encodings come back for the batch's blocks only."""
    ensure_base_schema(warehouse_url)
    marie, lucie = _enc("Marie", "Dupont", "1975-03-12"), _enc("Lucie", "Martin", "1990-06-21")
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute(ENCODINGS_DDL)
        cur.executemany(UPSERT_ENCODING, [(dumps(marie), "p-marie"), (dumps(lucie), "p-lucie")])
        batch = [_enc("Marie", "Dupond", "1975-03-12")]
        cur.execute(SELECT_BY_BLOCKS, (blocks_of(batch),))
        stored = [(p, loads(e)) for p, e in cur.fetchall()]
    assert stored == [("p-marie", marie)]
    assert link_probabilistic(batch, ["p-new"], stored).person_keys == ["p-marie"]
