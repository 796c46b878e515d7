"""One Dagster asset per partner source contract, with a check that no row went missing and one that no month's
extract is overdue.

A file source ingests what landing holds; an sql source pulls its partner table's new rows first (from the
watermark of its last loaded batch in audit.batches); an hmis source packs export folders into their ZIP first.
"""

from collections.abc import Sequence
from pathlib import Path

import psycopg
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    asset,
    asset_check,
)

from orchestration.resources import AbordResource
from pipelines.arrival import CHANGED, GONE
from pipelines.contract import CONTRACTS_DIR, Contract
from pipelines.ingest import BatchSummary, ingest_source
from pipelines.lateness import lateness
from pipelines.ledger import ledger_for_reading
from pipelines.readers import FileRejected
from pipelines.readers.hmis_export import ExportChanged, pack_folder, pack_folders
from pipelines.sql_pull import pull_table

# Metadata naming the files whose batch recorded nothing (changed or gone while read): the landing sensor asks for
# them again once they stand still, even when they come back as they were. Not an unreadable file: asked for again
# while it stays unreadable, a run would start every tick; the next run reads it once it can be read.
READ_AGAIN = "files_read_again"


def source_asset_key(contract: Contract) -> AssetKey:
    # Equal to the dbt source's meta.dagster.asset_key, so lineage runs from partner file to dashboard.
    return AssetKey(["raw", contract.name])


def contract_file(contract: Contract) -> str:
    """The contract's file under pipelines/contracts (hmis/housing_participants.yml for a variant)."""
    if contract.path is None:
        return contract.name
    return str(
        contract.path.relative_to(CONTRACTS_DIR) if contract.path.is_relative_to(CONTRACTS_DIR) else contract.path.name
    )


def ingestion_asset(contract: Contract) -> AssetsDefinition:
    @asset(
        key=source_asset_key(contract),
        group_name=f"partner_{contract.partner}",
        description=contract.description,
        kinds={"python", "postgres"},
        metadata={"contract": contract_file(contract)},
    )
    def _ingest(context, abord: AbordResource) -> MaterializeResult:
        summaries = ingest_batches(abord, contract)
        for summary in summaries:
            # a file rejected (its message says what to do), changed, gone or unreadable, or loaded without a column
            # it may lack (the partner's export is short of it): the steward should know
            log = context.log.warning if summary.unloaded or summary.not_in_file else context.log.info
            log(summary.line())
        loaded = [s for s in summaries if s.status == "loaded"]
        return MaterializeResult(
            metadata={
                "files_seen": len(summaries),
                "batches_loaded": len(loaded),
                "files_rejected": sum(s.status == "rejected" for s in summaries),
                "rows_read": sum(s.rows_read for s in loaded),
                "rows_loaded": sum(s.rows_loaded for s in loaded),
                "rows_quarantined": sum(s.rows_quarantined for s in loaded),
                "persons_new": sum(s.persons_new for s in loaded),
                READ_AGAIN: [s.file_name for s in summaries if s.status in (CHANGED, GONE)],
            }
        )

    return _ingest


def ingest_batches(abord: AbordResource, contract: Contract) -> list[BatchSummary]:
    ctx, landing = abord.ingest_context(), abord.settings().landing_dir
    if contract.format.type == "sql":
        return [pull_table(ctx, contract, landing)]
    if contract.format.type == "hmis":
        unpacked = pack_folders(landing, contract.file_pattern)
        return [_unpacked(contract, *why) for why in unpacked] + ingest_source(ctx, contract, landing)
    return ingest_source(ctx, contract, landing)


def _unpacked(contract: Contract, folder: Path, exc: ExportChanged | FileRejected) -> BatchSummary:
    """A folder not packed, recording nothing: the ledger knows files by their bytes, and there are none yet."""
    status = CHANGED if isinstance(exc, ExportChanged) else "rejected"
    return BatchSummary(contract.name, folder.name, status, message=str(exc))


def pack_export(contract: Contract, folder: Path) -> Path | BatchSummary:
    """An HMIS export folder given by hand (`abord ingest`) packed into its ZIP, or why it cannot be, recording
    nothing, as a run records nothing of it: it changed while packed, or a file of it cannot be read, or it holds
    two exports (a run says so too), or it holds no CSV file (a run leaves it waiting). A folder packed whole is
    then read as a run reads it: missing Client.csv, say, it is a rejected batch."""
    try:
        return pack_folder(folder)
    except (ExportChanged, FileRejected) as exc:
        return _unpacked(contract, folder, exc)


def rows_balance_check(contract: Contract):
    @asset_check(asset=source_asset_key(contract), name="rows_balance", blocking=True)
    def _check(abord: AbordResource) -> AssetCheckResult:
        """Every batch of this source: rows read = rows loaded + rows quarantined, and raw holds what was loaded
        (but for the rows of persons erased since, and for a batch a later period outdated: none)."""
        # run on its own (the UI's checks tab) it may find the ledger an older abord left, which only a load brings
        # up to date, or none yet
        if not ledger_for_reading(abord.url()):
            return AssetCheckResult(passed=True, description="no batch recorded yet")
        with psycopg.connect(abord.url()) as conn:
            # a source added since the last load has no raw table until a load makes it: none of its rows are there
            made = conn.execute("select to_regclass(%s)", (contract.raw_table,)).fetchone()[0]
            in_raw = f"(select count(*) from {contract.raw_table} r where r.batch_id = b.batch_id)" if made else "0"
            unbalanced = conn.execute(
                f"""
                select count(*) from audit.batches as b
                where b.source = %s and b.status = 'loaded'
                  and (b.rows_read <> b.rows_loaded + b.rows_quarantined
                       or (case when b.outdated_by is null then b.rows_loaded - b.rows_erased else 0 end) <> {in_raw})
                """,
                (contract.name,),
            ).fetchone()[0]
        return AssetCheckResult(
            passed=unbalanced == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"unbalanced_batches": unbalanced},
        )

    return _check


# Each month a file came for, whether the warehouse takes it as observed (a batch of it in audit.observing_batches,
# as int_sources_observed reads), and the rows its file of record (not a retry) quarantined: a month whose every
# row was quarantined is as missing to the indicators as one never sent.
PERIODS_RECEIVED = """
    select
        b.period,
        bool_or(o.batch_id is not null),
        max(b.rows_quarantined) filter (where b.status = 'loaded' and b.retry_of is null)
    from audit.batches as b
    left join audit.observing_batches as o on o.batch_id = b.batch_id
    where b.source = %s and b.period is not null
    group by b.period
"""


def _unobserved(quarantined: int | None) -> str:
    """Why a month received is not observed: the steward's to fix in quarantine or to have re-sent."""
    return "received, rejected" if quarantined is None else f"received, all {quarantined} row(s) quarantined"


def _named(months: Sequence[str], received: dict[str, tuple[bool, int | None]]) -> str:
    """The first six months, each one whose file came said why it is not observed: a month rejected or quarantined
    whole is the steward's to fix, not the partner's to send."""
    shown = [f"{m} ({_unobserved(received[m][1])})" if m in received else m for m in months[:6]]
    return ", ".join(shown + (["..."] if len(months) > 6 else []))


def extracts_on_time_check(contract: Contract):
    @asset_check(asset=source_asset_key(contract), name="extracts_on_time")
    def _check(abord: AbordResource) -> AssetCheckResult:
        """Every month due (its contract's due_days after it ends) has come: a warning, the steward chases the
        partner; the run goes on with what is there."""
        if contract.format.type == "sql" or contract.due_days is None:
            why = "pulled by its watermark" if contract.due_days is not None else "its contract sets no due_days"
            return AssetCheckResult(passed=True, description=f"not checked: {why}")
        received = {}
        if ledger_for_reading(abord.url()):  # before any load (a new deployment) there is no ledger yet
            with psycopg.connect(abord.url()) as conn:
                rows = conn.execute(PERIODS_RECEIVED, (contract.name,)).fetchall()
            received = {period: (observed, quarantined) for period, observed, quarantined in rows}
        loaded = [p for p, (observed, _) in received.items() if observed]
        # a month loaded whole into quarantine (not a rejected file, whose period is only its name's): an append
        # source's first such month starts its months due, as it starts its observation (int_sources_observed)
        quarantined = [p for p, (observed, rows) in received.items() if not observed and rows is not None]
        late = lateness(loaded, contract.load, abord.settings().today(), contract.due_days, quarantined)
        if late is None:
            return AssetCheckResult(passed=True, description="not checked: its periods are not months")
        came = sorted(p for p, (observed, _) in received.items() if not observed)
        if late.latest is None and came:  # files came, none observed: waiting in quarantine, or rejected
            description = f"no month observed yet: {_named(came, received)}; {late.due}'s was due"
        elif late.latest is None:
            description = f"no extract loaded yet; {late.due}'s was due"
        elif late.missing:
            named = _named(late.missing, received)
            description = f"{len(late.missing)} month(s) overdue: {named} (latest loaded {late.latest})"
        else:
            description = f"on time: latest loaded {late.latest}, latest due {late.due}"
        if late.unusable:  # loaded under a period that is no past month: a misnamed file, to rename and re-send
            description += f"; loaded as no past month: {', '.join(late.unusable)}"
        return AssetCheckResult(
            passed=late.latest is not None and not late.missing,
            severity=AssetCheckSeverity.WARN,
            description=description,
            metadata={"latest_period": late.latest or "", "due_period": late.due, "months_overdue": len(late.missing)},
        )

    return _check
