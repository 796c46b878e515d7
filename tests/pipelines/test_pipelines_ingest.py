"""Ingestion of one extract into a real PostgreSQL: ledger, quarantine, identity, idempotence, atomicity."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pipelines import ingest as ingest_module
from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext, find_extracts, ingest_file
from pipelines.pipeline import shared_redactor
from pipelines.sample.generate import generate

CONTRACTS = load_contracts()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    generate(root, persons=120, seed=3)
    return root / "landing"


@pytest.fixture
def ctx(make_ingest_context) -> IngestContext:
    return make_ingest_context(shared_redactor)


def _one(contract_name: str, landing: Path) -> Path:
    (path,) = find_extracts(CONTRACTS[contract_name], landing)
    return path


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_batch_balances_and_loads_once(ctx: IngestContext, landing: Path) -> None:
    path = _one("housing_tenancies", landing)
    first = ingest_file(ctx, CONTRACTS["housing_tenancies"], path)
    assert first.status == "loaded" and first.rows_quarantined > 0
    assert first.rows_read == first.rows_loaded + first.rows_quarantined
    assert _count(ctx.url, "select count(*) from raw.housing_tenancies") == first.rows_loaded
    quarantined = (ctx.quarantine_dir / "housing_tenancies" / f"{path.name}.rejected.csv").read_text()
    assert quarantined.count("\n") - 1 >= first.rows_quarantined
    assert _count(ctx.url, "select count(distinct source_row) from audit.rejections") == first.rows_quarantined

    again = ingest_file(ctx, CONTRACTS["housing_tenancies"], path)
    assert again.status == "already_loaded"
    assert _count(ctx.url, "select count(*) from raw.housing_tenancies") == first.rows_loaded
    assert _count(ctx.url, "select count(*) from audit.batches") == 1


def test_records_of_one_participant_share_a_person_key(ctx: IngestContext, landing: Path) -> None:
    # tenancies first: the participant's own id links them whatever the order
    ingest_file(ctx, CONTRACTS["housing_tenancies"], _one("housing_tenancies", landing))
    participants = ingest_file(ctx, CONTRACTS["housing_participants"], _one("housing_participants", landing))
    orphan_tenancies = _count(
        ctx.url,
        "select count(*) from raw.housing_tenancies t"
        " where not exists (select 1 from raw.housing_participants p where p.person_key = t.person_key)",
    )
    assert orphan_tenancies == 0
    assert (
        _count(ctx.url, "select count(distinct person_key) from raw.housing_participants") == participants.rows_loaded
    )


def test_a_load_that_fails_halfway_leaves_nothing(ctx: IngestContext, landing: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ingest_module, "store_links", broken)
    path = _one("housing_participants", landing)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_file(ctx, CONTRACTS["housing_participants"], path)
    tables = ("audit.batches", "audit.rejections", "identity.link_keys", "identity.bloom_encodings")
    for table in (*tables, "raw.housing_participants"):
        assert _count(ctx.url, f"select count(*) from {table}") == 0, table
    assert not list(ctx.quarantine_dir.rglob("*.csv*"))
    monkeypatch.undo()
    assert ingest_file(ctx, CONTRACTS["housing_participants"], path).status == "loaded"


def test_an_unreadable_file_is_recorded_as_rejected(ctx: IngestContext, tmp_path: Path) -> None:
    path = tmp_path / "housing" / "tenancies_2026-01.csv"
    path.parent.mkdir()
    path.write_text("id_bail;id_participant\nB1;P1\n", encoding="latin-1")
    summary = ingest_file(ctx, CONTRACTS["housing_tenancies"], path)
    assert summary.status == "rejected" and "missing column(s)" in summary.message
    assert _count(ctx.url, "select count(*) from audit.rejections where reason_code = 'missing_column'") == 1
    assert _count(ctx.url, "select count(*) from raw.housing_tenancies") == 0
