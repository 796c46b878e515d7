"""An ingestion context on a fresh database, for the pipelines tests: the built-in contracts (each file chooses its
redactor and day), or the one contract a test file defines as its `contract` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext
from pipelines.pipeline import ensure_raw_tables


@pytest.fixture
def make_ingest_context(warehouse_url: str, tmp_path: Path) -> Callable[..., IngestContext]:
    contracts = load_contracts()
    ensure_raw_tables(warehouse_url, contracts)

    def make(make_redactor: Callable[[], object], today: date | None = None) -> IngestContext:
        return IngestContext(
            url=warehouse_url,
            key=bytes(range(32)),
            quarantine_dir=tmp_path / "quarantine",
            contracts=contracts,
            make_redactor=make_redactor,
            **({"today": today} if today else {}),
        )

    return make


@pytest.fixture
def contract_context(warehouse_url: str, tmp_path: Path, contract) -> IngestContext:
    """The test file's own `contract` alone, on 15 January 2026, with no redaction."""
    ensure_raw_tables(warehouse_url, {contract.name: contract})
    return IngestContext(
        url=warehouse_url,
        key=bytes(range(32)),
        quarantine_dir=tmp_path / "quarantine",
        contracts={contract.name: contract},
        make_redactor=lambda: None,
        today=date(2026, 1, 15),
    )
