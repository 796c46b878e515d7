"""The identity store's encodings table: the DDL and look-up the pipeline uses, on a real database."""

from __future__ import annotations

import psycopg

from pipelines.identity_store import ENCODINGS_DDL, SELECT_BY_BLOCKS, UPSERT_ENCODINGS
from pipelines.person_linkage import ensure_identity_schema, link_rows
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
        cur.execute(UPSERT_ENCODINGS, ([dumps(marie), dumps(lucie)], ["p-marie", "p-lucie"]))
        batch = [_enc("Marie", "Dupond", "1975-03-12")]
        cur.execute(SELECT_BY_BLOCKS, {"blocks": blocks_of(batch)})
        stored = [(p, loads(e)) for p, e in cur.fetchall()]
    assert stored == [("p-marie", marie)]
    assert link_probabilistic(batch, ["p-new"], stored).person_keys == ["p-marie"]


def test_a_store_made_before_the_block_columns_is_read_by_its_blocks(warehouse_url: str) -> None:
    """The block columns are added to an existing store, filled from its encodings, and the JSON index goes."""
    ensure_base_schema(warehouse_url)
    marie = _enc("Marie", "Dupont", "1975-03-12")
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("create table identity.bloom_encodings (encoding text primary key, person_key text not null)")
        cur.execute(
            "create index bloom_encodings_blocks on identity.bloom_encodings using gin (((encoding::jsonb) -> 'b'))"
        )
        cur.execute(UPSERT_ENCODINGS, ([dumps(marie)], ["p-marie"]))
        cur.execute(ENCODINGS_DDL)
        cur.execute(SELECT_BY_BLOCKS, {"blocks": blocks_of([_enc("Marie", "Lambert", "1975-03-12")])})
        assert [(p, loads(e)) for p, e in cur.fetchall()] == [("p-marie", marie)]
        assert cur.execute("select to_regclass('identity.bloom_encodings_blocks')").fetchone() == (None,)


class _Recording(psycopg.Cursor):
    """Notes the statements it runs."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.statements: list[str] = []

    def execute(self, query, params=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.statements.append(query)
        return super().execute(query, params, **kwargs)


def test_a_batch_reads_only_the_blocks_of_encodings_not_stored_under_their_person(warehouse_url: str) -> None:
    """A person seen before, written as before, brings no block to read; a typo, or a stored identity under
    another person's link keys, still meets every stored encoding of its blocks."""
    ensure_base_schema(warehouse_url)
    ensure_identity_schema(warehouse_url)
    marie, paul = _enc("Marie", "Dupont", "1975-03-12"), _enc("Paul", "Martin", "1980-01-01")
    with psycopg.connect(warehouse_url, cursor_factory=_Recording) as conn, conn.cursor() as cur:
        cur.execute(UPSERT_ENCODINGS, ([dumps(marie), dumps(paul)], ["p-marie", "p-paul"]))
        cur.executemany(
            "insert into identity.link_keys values (%s, %s)", [("k-marie", "p-marie"), ("k-paul", "p-paul")]
        )
        assert link_rows(cur, [["k-marie"], ["k-paul"]], [marie, paul]).person_keys == ["p-marie", "p-paul"]
        assert SELECT_BY_BLOCKS not in cur.statements

        typo = _enc("Marie", "Dupond", "1975-03-12")
        linked = link_rows(cur, [["k-new"], ["k-paul"]], [typo, marie])
        assert SELECT_BY_BLOCKS in cur.statements
        assert linked.person_keys == ["p-marie", "p-marie"]
        assert ("p-paul", "p-marie", "probabilistic") in linked.merges
