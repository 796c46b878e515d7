"""`abord ingest`, `abord contracts ...` and `abord quarantine ...`: the steward's hands on the pipelines.

Registered in orchestration/cli.py. Output shows counts, row numbers and reason codes; only `quarantine show`
prints the quarantine file's messages, which may quote a rejected value, to the steward who must fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from pipelines.settings import get_settings

contracts_app = typer.Typer(help="Check source contracts, or draft one from a sample extract.", no_args_is_help=True)
quarantine_app = typer.Typer(help="See rejected rows and re-submit them once fixed.", no_args_is_help=True)


def _context():
    from pipelines.contract import ContractError
    from pipelines.pipeline import ingest_context
    from pseudonymisation.keys import KeyFileError

    settings = get_settings()
    if not settings.key_file.exists():
        typer.echo(f"no pseudonymisation key at {settings.key_file}: create one with `abord key new`", err=True)
        raise typer.Exit(2)
    try:
        return ingest_context(settings)
    except (KeyFileError, ContractError) as exc:  # names the file or the mismatch, never the key
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def ingest(
    path: Path = typer.Argument(
        None,
        help="The partner extract to load (none for an sql source: pull it; a folder for an HMIS export).",
        exists=True,
    ),
    source: str = typer.Option(..., "--source", help="The source contract it follows (its `name`)."),
    replace_period: bool = typer.Option(
        False,
        "--replace-period",
        help="Load the file even if it keeps under half the rows loaded of its period, or of a snapshot source's"
        " current period (refused otherwise, shrinks_period), and read it again if it was refused for that.",
    ),
) -> None:
    """Load one partner extract by hand under SOURCE's contract (or pull an sql source) and print its batch."""
    from pipelines.ingest import BatchSummary, ingest_file
    from pipelines.raw_tables import RawTableOutOfStep
    from pipelines.sql_pull import SqlSourceError, pull_table
    from pseudonymisation.keys import KeyFileError

    ctx = _context()
    if source not in ctx.contracts:
        typer.echo(f"unknown source '{source}' (one of {', '.join(sorted(ctx.contracts))})", err=True)
        raise typer.Exit(2)
    contract = ctx.contracts[source]
    if path is None and contract.format.type != "sql":
        typer.echo(f"{source} is a {contract.format.type} source: give the file to load", err=True)
        raise typer.Exit(2)
    if path is not None and path.is_dir():
        if contract.format.type != "hmis":
            typer.echo(f"{path} is a folder: give the {source} file to load", err=True)
            raise typer.Exit(2)
        from orchestration.ingestion import pack_export

        packed = pack_export(contract, path)  # a re-sent identical folder packs to the same bytes: already loaded
        if isinstance(packed, BatchSummary):  # empty, or changed while packed: nothing loaded, nothing recorded
            typer.echo(packed.line())
            raise typer.Exit(1)
        path = packed
    try:
        if path:
            summary = ingest_file(ctx, contract, path, shrink_allowed=replace_period)
        else:
            summary = pull_table(ctx, contract, get_settings().landing_dir)
    except (SqlSourceError, KeyFileError, RawTableOutOfStep) as exc:
        # the partner table cannot be pulled (never the URL); a key rotated while this load waited; a contract's change
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(summary.line())
    if summary.unloaded:
        raise typer.Exit(1)
    if replace_period and summary.status == "loaded":  # the steward forced it, and may take it as done
        typer.echo(
            "the indicators still show what it replaced: refresh the models with `abord dbt build`"
            " (or run the Dagster job `refresh`)"
        )


@contracts_app.command("check")
def contracts_check(
    directory: Path = typer.Option(
        None, "--dir", help="Contracts folder (default: pipelines/contracts).", exists=True, file_okay=False
    ),
) -> None:
    """Validate every contract; each error names the file and the key."""
    from pipelines.contract import CONTRACTS_DIR, check_contracts

    contracts, errors = check_contracts(directory or CONTRACTS_DIR)
    for contract in contracts.values():
        typer.echo(f"ok     {contract.name:<24} {contract.path}")
    for error in errors:
        typer.echo(f"error  {error}", err=True)
    if errors:
        raise typer.Exit(1)


@contracts_app.command("draft")
def contracts_draft(
    sample: Path = typer.Argument(..., help="A sample extract (CSV, JSON lines or XLSX).", exists=True, dir_okay=False),
    out: Path = typer.Option(None, help="Where to write the draft (default: SAMPLE's name + .contract.yml)."),
    name: str = typer.Option(None, help="The source name (default: from the folder and file name)."),
    sheet: str = typer.Option(None, help="The sheet of an XLSX sample to draft from (default: its first)."),
) -> None:
    """Sniff a sample extract and write a draft contract for review (identifiers flagged, never stored)."""
    from pipelines.contract import IDENTIFIER_ROLES
    from pipelines.drafting import DraftError, draft_contract

    try:
        draft = draft_contract(sample, name=name, sheet=sheet)
    except DraftError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    target = out or sample.with_name(f"{draft.name}.contract.yml")
    target.write_text(draft.yaml(), encoding="utf-8")
    flagged = [c.name for c in draft.columns if c.role in IDENTIFIER_ROLES]
    typer.echo(f"draft contract written to {target}: {len(draft.columns)} columns, review every REVIEW line")
    if sheet is None and len(draft.sheets) > 1:  # a workbook's first sheet is often a notice, not the data
        typer.echo(
            f"drafted from sheet '{draft.sheets[0]}', the first of {len(draft.sheets)} ({', '.join(draft.sheets)}):"
            " another with --sheet"
        )
    if flagged or draft.dropped:
        typer.echo(f"identifiers flagged: {', '.join(flagged) or 'none'}; left out: {len(draft.dropped)} column(s)")


@dataclass
class _Batch:
    """A batch as `quarantine list` and `show` tell it: counts, reasons, and where its rows to fix are."""

    batch_id: int
    source: str
    file_name: str
    period: str | None
    status: str
    rows_read: int
    to_fix: int
    given_up: int
    reasons: str
    not_in_file: list[str]
    later: int | None  # the batch that took its place (a rejected file's: the one its quarantine file belongs to)
    path: Path | None  # its quarantine file, None when its rows to fix went with a later batch
    deleted: int = 0  # rows to fix its quarantine file held when the steward deleted it
    to_delete: int = 0  # lines of its quarantine file a retry refused as not to fix: for the steward to delete
    pending: Path | None = None  # the partial file holding its rows to fix, its rename failed (quarantine_leftovers)

    @property
    def to_read(self) -> Path | None:
        """The file holding its rows to fix as they stand, if any."""
        return self.pending or (self.path if self.path and self.path.exists() else None)


def _batches(where: str = "", params: tuple = ()) -> list[_Batch]:
    import psycopg

    from pipelines.ledger import ledger_for_reading
    from pipelines.quarantine_leftovers import pending_placement
    from pipelines.retry import latest_loaded_retry, lines_not_to_fix, rows_to_fix
    from pipelines.warehouse import database_url

    url = database_url(get_settings())
    if not ledger_for_reading(url):
        return []
    with psycopg.connect(url) as conn:
        # A batch's rows quarantined, and their reasons, are those its latest loaded retry quarantined again, where
        # `quarantine retry` takes its rows to fix (retry.latest_loaded_retry); its retries add up the rows to fix
        # the steward deleted from the file (given up, still counted as quarantined). A loaded batch a later period
        # outdated shows as `outdated`; the last column names the batch that took its place (for a rejected file,
        # the batch the quarantine file of its name belongs to: the first loaded since, or one loaded before with
        # rows left to fix, which the rejection kept, ingest._reject_file).
        rows = conn.execute(
            "select b.batch_id, b.source, b.file_name, b.period,"
            " case when b.status = 'loaded' and b.outdated_by is not null then 'outdated' else b.status end,"
            " b.rows_read, coalesce(retried.rows_quarantined, b.rows_quarantined),"
            " (select coalesce(sum(g.rows_given_up), 0) from audit.batches g where g.retry_of = b.batch_id),"
            " coalesce(string_agg(c.reason_code || ' ' || c.rows, ', ' order by c.rows desc, c.reason_code), ''),"
            " b.not_in_file, coalesce(b.replaced_by, b.outdated_by, loaded.batch_id),"
            " b.retry_of is null, coalesce(retried.batch_id, b.batch_id)"
            " from audit.batches b"
            f" left join lateral {latest_loaded_retry('b')} as retried on true"
            " left join lateral (select l.batch_id from audit.batches l where b.status = 'rejected'"
            "   and l.source = b.source and l.file_name = b.file_name"
            "   and (l.batch_id > b.batch_id and l.status in ('loaded', 'replaced')"
            "     or l.status = 'loaded' and l.outdated_by is null"
            f"     and coalesce((select h.rows_quarantined from {latest_loaded_retry('l')} as h),"
            "       l.rows_quarantined) > 0)"
            "   order by l.batch_id < b.batch_id, l.batch_id limit 1) as loaded on true"
            " left join audit.rejection_counts c on c.batch_id = coalesce(retried.batch_id, b.batch_id)"
            f" where {where or 'true'} group by b.batch_id, retried.batch_id, retried.rows_quarantined, loaded.batch_id"
            " order by b.batch_id",
            params,
        ).fetchall()
        # A batch replaced or outdated has no rows left to fix, nor has a rejected file loaded since (forced with
        # --replace-period, or sent again fixed): a quarantine file of its name is the later batch's.
        batches = []
        for *row, later, original, holding in rows:
            batch = _Batch(*row, later, None if later is not None else _quarantine_file(row[1], row[2]))
            if original and batch.status != "rejected" and batch.to_fix:
                # its rows quarantined are not all to fix: a line a retry refused as not to fix (added or repeated
                # by the steward) is to delete, an opposed person's row is in no file; the rows to fix are those
                # `quarantine retry` takes (for a batch replaced or outdated: those it had when it was)
                to_fix = rows_to_fix(conn, holding)
                batch.to_fix = len(to_fix)
                if batch.status == "loaded":
                    batch.pending = pending_placement(conn, batch.path, holding)
                    if batch.to_read:
                        batch.to_delete = lines_not_to_fix(conn, holding, to_fix, batch.to_read)
                    elif batch.to_fix:
                        # the steward deleted its file, as the refusal of an emptied one tells them to: told from
                        # the file being gone, nothing to record (a re-send of the period takes its rows to fix as
                        # it takes the file, and what the file held then cannot be told)
                        batch.deleted, batch.to_fix = batch.to_fix, 0
                        batch.given_up += batch.deleted
            batches.append(batch)
    return batches


def _quarantine_file(source: str, file_name: str) -> Path:
    from pipelines.quarantine import SUFFIX, quarantine_path

    quarantine_dir = get_settings().quarantine_dir
    if file_name.endswith(SUFFIX):  # a retry batch reads the quarantine file itself
        return quarantine_dir / source / file_name
    return quarantine_path(quarantine_dir, source, file_name)


@quarantine_app.command("list")
def quarantine_list(
    everything: bool = typer.Option(False, "--all", help="Also batches with nothing left to fix."),
) -> None:
    """Batches with rows to fix or rejected as a whole: counts per reason, and the quarantine file to edit; with
    --all, also batches whose file lacked a column it may lack (loaded empty: nothing to retry, the export is short),
    and those whose rows to fix were fixed or given up."""
    from pipelines.ingest import not_in_file_note
    from pipelines.quarantine_leftovers import pending_note
    from pipelines.retry import NOT_TO_FIX

    rows = _batches(
        "(b.rows_quarantined > 0 or b.status = 'rejected' or cardinality(b.not_in_file) > 0) and b.retry_of is null"
    )
    rows = [row for row in rows if everything or row.to_read]
    if not rows:
        typer.echo("nothing in quarantine")
        return
    typer.echo(f"{'batch':>6}  {'source':<22} {'file':<30} {'status':<9} {'to fix':>8}  reasons")
    for row in rows:
        not_in_file = row.not_in_file and not_in_file_note(row.not_in_file)
        to_delete = row.to_delete and f"{row.to_delete} to delete ({NOT_TO_FIX})"
        given_up = row.given_up and f"{row.given_up} given up"
        notes = "; ".join(filter(None, [row.reasons, to_delete, not_in_file, given_up]))
        typer.echo(f"{row.batch_id:>6}  {row.source:<22} {row.file_name:<30} {row.status:<9} {row.to_fix:>8}  {notes}")
        if row.pending:
            typer.echo(f"{'':>8}{pending_note(row.path, row.pending, row.source)}")
        elif row.to_read:
            typer.echo(f"{'':>8}{row.path}")


@quarantine_app.command("show")
def quarantine_show(batch: int = typer.Argument(..., help="The batch id (see `abord quarantine list`).")) -> None:
    """One batch's reasons per row, from its quarantine file (messages may quote the rejected values)."""
    from pipelines.arrival import unreadable
    from pipelines.ingest import not_in_file_note
    from pipelines.quarantine import QuarantineUnreadable, reasons_in
    from pipelines.quarantine_leftovers import pending_note
    from pipelines.retry import NOT_TO_FIX, deleted_gives_up

    rows = _batches("b.batch_id = %s", (batch,))
    if not rows:
        typer.echo(f"no batch {batch}", err=True)
        raise typer.Exit(1)
    row = rows[0]
    typer.echo(f"batch {row.batch_id}: {row.source} {row.file_name} (period {row.period}) {row.status}")
    to_delete = f", to delete {row.to_delete} ({NOT_TO_FIX})" if row.to_delete else ""
    given_up = f", given up {row.given_up}" if row.given_up else ""
    # a batch replaced or outdated: what it left to fix then, its history (rows read = loaded + quarantined)
    left = f"{row.to_fix} when {row.status}" if row.status in ("replaced", "outdated") else row.to_fix
    counts = f"rows read {row.rows_read}, left to fix {left}{to_delete}{given_up}"
    typer.echo(f"{counts}; reasons: {row.reasons or 'none'}")
    if row.not_in_file:
        typer.echo(not_in_file_note(row.not_in_file))
    later = row.later
    if later is not None and row.status == "rejected":
        if later > row.batch_id:
            typer.echo(f"loaded since from a file of its name as batch {later}: its quarantine file is that batch's")
        else:  # its rejection kept that batch's rows to fix, the only copy of them
            typer.echo(
                f"a file of its name loaded before as batch {later} has rows to fix: its quarantine file is that"
                " batch's"
            )
        return
    if later is not None:
        how = "a re-send of its period" if row.status == "replaced" else "a later period"
        typer.echo(f"{row.status} by batch {later} ({how}): its raw rows and rows to fix are gone, nothing to retry")
        return
    if row.deleted:
        typer.echo(deleted_gives_up(row.path, row.batch_id, row.deleted))
        return
    if row.to_read is None:
        typer.echo("no quarantine file: nothing left to fix")
        return
    if row.pending:
        typer.echo(pending_note(row.path, row.pending, row.source))
    try:
        reasons = reasons_in(row.to_read)
    except QuarantineUnreadable as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except OSError as exc:  # another owner's file in mode 0600: said as a retry says it, not a traceback
        typer.echo(unreadable([row.to_read], exc, retry=True), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"file: {row.to_read}")
    for source_row, columns, codes, message in reasons:
        typer.echo(f"  row {source_row:>6}  {columns or '(row)':<20} {codes:<24} {message}")


# What a retry of bytes a retry already read says it did not load, and why (a landing file sent again is done).
_RETRIED_ALREADY = {
    "already_loaded": "retried these same bytes already (`abord quarantine list` says what is left to fix)",
    # under the same contract the same bytes are rejected again: only a changed file is read
    "already_rejected": "rejected these same bytes already (they would be again): fix the file and retry it",
}


@quarantine_app.command("retry")
def quarantine_retry(
    path: Path = typer.Argument(..., help="A quarantine file whose rows you have fixed.", dir_okay=False),
) -> None:
    """Re-submit the fixed rows of a quarantine file; rows still wrong stay in it."""
    from pipelines.raw_tables import RawTableOutOfStep
    from pipelines.retry import RetryRefused, retry_quarantine
    from pseudonymisation.keys import KeyFileError

    try:
        summary = retry_quarantine(_context(), path.resolve())
    except RetryRefused as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except (KeyFileError, RawTableOutOfStep) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    typer.echo(summary.line())
    if (why := _RETRIED_ALREADY.get(summary.status)) is not None:
        typer.echo(f"{path.name}: nothing loaded, batch {summary.batch_id} {why}", err=True)
    if summary.unloaded or why is not None:  # a script or a scheduler sees it failed
        raise typer.Exit(1)
