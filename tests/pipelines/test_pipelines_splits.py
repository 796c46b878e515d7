"""Splits at ingestion: a corrected file replaces the record whose wrong NIR had joined two persons; the persons
are re-clustered from the current batches, the one that fell apart keeps its key for its largest part, the other
part gets a new key with its link keys and rows, and audit notes the split with person keys and counts only."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from pipelines.ingest import IngestContext, ingest_file
from pseudonymisation.link_keys import Identity, link_keys, record_key
from tests.pipelines.identity_extracts import HEALTH, JUSTICE, health_extract, justice_extract, linking_context

HEX = re.compile(r"[0-9a-f]{32}")


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


MARIE = Identity(given_name="Marie", family_name="Dupont", birth_date="1975-03-12", nir=_nir("2750375123456"))
PAUL = Identity(given_name="Paul", family_name="Martin", birth_date="1980-01-01", nir=_nir("1800175654321"))
# The court typed Paul's NIR on Marie's record; its corrected file carries hers.
MARIE_WRONG_NIR = Identity(given_name="Marie", family_name="Dupont", birth_date="1975-03-12", nir=PAUL.nir)


@pytest.fixture
def ctx(make_ingest_context) -> IngestContext:
    return linking_context(make_ingest_context)


def _query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _persons(ctx: IngestContext, contract, record_id: str) -> list[str]:
    """The person keys of a record's raw rows (one per batch holding it)."""
    ref = record_key(ctx.key, contract.name, record_id)
    return [p for (p,) in _query(ctx.url, f"select person_key from {contract.raw_table} where record_ref = %s", (ref,))]


def _key_owners(ctx: IngestContext, who: Identity) -> set[str]:
    keys = link_keys(ctx.key, who)
    return {
        p for (p,) in _query(ctx.url, "select person_key from identity.link_keys where link_key = any(%s)", (keys,))
    }


def _splits(ctx: IngestContext) -> list[tuple]:
    return _query(
        ctx.url, "select person_key, new_person_key, batch_id, records_moved, rows_moved from audit.person_splits"
    )


def test_a_corrected_file_splits_the_persons_its_wrong_nir_had_joined(ctx: IngestContext, tmp_path: Path) -> None:
    # Marie and Paul in the same hospital file: only row positions tell their rows apart once they share a key.
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", MARIE), ("E2", PAUL), ("E3", MARIE)]))
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_WRONG_NIR)]))
    (joined,) = set(_persons(ctx, HEALTH, "E1") + _persons(ctx, HEALTH, "E2"))
    assert len(_query(ctx.url, "select * from audit.person_merges")) == 1

    corrected = ingest_file(ctx, JUSTICE, justice_extract(tmp_path / "corrected", "2025-10", [("J1", MARIE)]))
    assert corrected.replaced and corrected.rows_loaded == 1
    # Marie's part is the larger (three records): it keeps the key; Paul's rows and keys take a new one.
    assert _persons(ctx, HEALTH, "E1") == _persons(ctx, HEALTH, "E3") == _persons(ctx, JUSTICE, "J1") == [joined]
    (paul,) = _persons(ctx, HEALTH, "E2")
    assert paul != joined and HEX.fullmatch(paul)
    assert _key_owners(ctx, PAUL) == {paul} and _key_owners(ctx, MARIE) == {joined}
    assert _splits(ctx) == [(joined, paul, corrected.batch_id, 1, 1)]

    # Paul's next visit joins his own key, Marie's hers.
    november = ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-11", [("E4", PAUL), ("E5", MARIE)]))
    assert november.persons_new == 0
    assert (_persons(ctx, HEALTH, "E4"), _persons(ctx, HEALTH, "E5")) == ([paul], [joined])


def test_a_person_alone_in_an_earlier_batch_follows_the_split(ctx: IngestContext, tmp_path: Path) -> None:
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", PAUL)]))
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-09", [("J0", MARIE)]))
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_WRONG_NIR)]))
    # September is no longer current: its raw rows are gone, its provenance still holds Marie's keys
    assert _persons(ctx, JUSTICE, "J0") == []
    (joined,) = set(_persons(ctx, HEALTH, "E1") + _persons(ctx, JUSTICE, "J1"))
    assert _key_owners(ctx, MARIE) == {joined}

    corrected = ingest_file(ctx, JUSTICE, justice_extract(tmp_path / "corrected", "2025-10", [("J1", MARIE)]))
    (paul,) = _persons(ctx, HEALTH, "E1")
    assert paul != joined and _persons(ctx, JUSTICE, "J1") == [joined]
    assert _key_owners(ctx, PAUL) == {paul} and _key_owners(ctx, MARIE) == {joined}
    assert _splits(ctx) == [(joined, paul, corrected.batch_id, 1, 1)]


def test_a_corrected_file_that_keeps_the_join_splits_nothing(ctx: IngestContext, tmp_path: Path) -> None:
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", MARIE), ("E2", PAUL)]))
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_WRONG_NIR)]))
    before = _query(ctx.url, "select link_key, person_key from identity.link_keys order by 1")
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path / "resent", "2025-10", [("J1", MARIE_WRONG_NIR), ("J2", MARIE)]))
    assert _splits(ctx) == []
    assert _query(ctx.url, "select link_key, person_key from identity.link_keys order by 1") == before
