"""One Dagster asset per partner source contract, with a check that no row went missing."""

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
from pipelines.contract import Contract
from pipelines.ingest import ingest_source


def source_asset_key(contract: Contract) -> AssetKey:
    # Equal to the dbt source's meta.dagster.asset_key, so lineage runs from partner file to dashboard.
    return AssetKey(["raw", contract.name])


def ingestion_asset(contract: Contract) -> AssetsDefinition:
    @asset(
        key=source_asset_key(contract),
        group_name=f"partner_{contract.partner}",
        description=contract.description,
        kinds={"python", "postgres"},
        metadata={"contract": str(contract.path.name if contract.path else contract.name)},
    )
    def _ingest(context, abord: AbordResource) -> MaterializeResult:
        summaries = ingest_source(abord.ingest_context(), contract, abord.settings().landing_dir)
        for summary in summaries:
            context.log.info(summary.line())
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
            }
        )

    return _ingest


def rows_balance_check(contract: Contract):
    @asset_check(asset=source_asset_key(contract), name="rows_balance", blocking=True)
    def _check(abord: AbordResource) -> AssetCheckResult:
        """Every batch of this source: rows read = rows loaded + rows quarantined, and raw holds what was loaded."""
        with psycopg.connect(abord.url()) as conn:
            unbalanced = conn.execute(
                f"""
                select count(*) from audit.batches as b
                where b.source = %s and b.status = 'loaded'
                  and (b.rows_read <> b.rows_loaded + b.rows_quarantined
                       or b.rows_loaded <> (select count(*) from {contract.raw_table} r where r.batch_id = b.batch_id))
                """,
                (contract.name,),
            ).fetchone()[0]
        return AssetCheckResult(
            passed=unbalanced == 0,
            severity=AssetCheckSeverity.ERROR,
            metadata={"unbalanced_batches": unbalanced},
        )

    return _check
