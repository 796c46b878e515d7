"""The pipeline as a whole: what ingestion needs from the settings, and what a run leaves in the warehouse."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import psycopg

from pipelines.contract import Contract, load_contracts
from pipelines.ingest import IngestContext
from pipelines.key_check import UNCONFIRMED, check_key
from pipelines.ledger import ensure_ledger
from pipelines.person_linkage import ensure_identity_schema
from pipelines.raw_tables import raw_table_ddl
from pipelines.settings import Settings
from pipelines.warehouse import database_url, ensure_base_schema
from pipelines.writer_lock import lock_for_transaction
from pseudonymisation.keys import load_key

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def shared_redactor():
    """One presidio engine per process: loading the French model takes seconds."""
    from pseudonymisation.redaction import Redactor

    return Redactor(language="fr")


def ensure_raw_tables(url: str, contracts: dict[str, Contract]) -> None:
    """Every source's raw table, the ledger views and the identity tables exist, even before a first extract,
    so dbt sources resolve and the rights and key commands find every table they rewrite."""
    ensure_base_schema(url)
    ensure_ledger(url)
    ensure_identity_schema(url)
    with psycopg.connect(url) as conn:
        lock_for_transaction(conn)  # as loads make and alter them
        for contract in contracts.values():
            conn.execute(raw_table_ddl(contract))


def ingest_context(settings: Settings, url: str | None = None) -> IngestContext:
    url = url or database_url(settings)
    contracts = load_contracts()
    ensure_raw_tables(url, contracts)
    key = load_key(settings.key_file)
    with psycopg.connect(url) as conn:  # before any file is read: a wrong key fails the run, not each file
        lock_for_transaction(conn)
        if not check_key(conn, key):
            log.warning("%s; until then only extracts of persons check the key file", UNCONFIRMED)
    return IngestContext(
        url=url,
        key=key,
        quarantine_dir=settings.quarantine_dir,
        contracts=contracts,
        make_redactor=shared_redactor,
        today=settings.today(),
    )


@dataclass(frozen=True)
class RunSummary:
    batches_loaded: int
    files_rejected: int
    rows_loaded: int
    rows_quarantined: int
    persons_linked: int
    indicator_cells: int
    cells_suppressed: int
    retention_12m: float | None

    def lines(self) -> list[str]:
        retention = "n/a" if self.retention_12m is None else f"{self.retention_12m:.1%}"
        return [
            f"batches loaded:        {self.batches_loaded} ({self.files_rejected} files rejected)",
            f"rows loaded:           {self.rows_loaded}",
            f"rows quarantined:      {self.rows_quarantined}",
            f"persons linked:        {self.persons_linked}",
            f"indicators published:  {self.indicator_cells} cells ({self.cells_suppressed} suppressed)",
            f"12-month retention:    {retention} (all sites, all cohorts)",
        ]


def run_summary(url: str) -> RunSummary:
    with psycopg.connect(url) as conn:
        batches, rejected, loaded, quarantined = conn.execute(
            "select count(*) filter (where status = 'loaded'), count(*) filter (where status = 'rejected'),"
            " coalesce(sum(rows_loaded) filter (where status = 'loaded'), 0),"
            " coalesce(sum(rows_quarantined) filter (where status = 'loaded'), 0) from audit.batches"
        ).fetchone()
        persons = conn.execute("select count(distinct person_key) from identity.link_keys").fetchone()[0]
        published = conn.execute("select to_regclass('published.indicator_values')").fetchone()[0]
        cells = suppressed = 0
        retention = None
        if published:
            cells, suppressed = conn.execute(
                "select count(*), count(*) filter (where suppressed) from published.indicator_values"
            ).fetchone()
            row = conn.execute(
                "select value from published.indicator_values where indicator_code = 'housing_retention_12m'"
                " and site = 'all' and cohort = 'all' and breakdown = 'all' and not suppressed"
                " and period not like '%-Q_'"  # over the whole observation, not one reporting quarter
            ).fetchone()
            retention = float(row[0]) if row else None
    return RunSummary(batches, rejected, loaded, quarantined, persons, cells, suppressed, retention)
