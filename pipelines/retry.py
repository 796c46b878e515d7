"""Re-submitting a quarantine file the steward has fixed: its rows join the batch they were rejected from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import psycopg

from pipelines.arrival import UNREADABLE, unreadable
from pipelines.contract import Contract
from pipelines.ingest import OPPOSITION, BatchSummary, Extract, IngestContext, ingest_extract, settle_source_leftovers
from pipelines.ledger import waiting
from pipelines.quarantine import (
    NOT_TO_FIX,
    QuarantineUnreadable,
    Snapshot,
    numbered_rows,
    original_name,
    own_lines,
    snapshot,
)
from pipelines.quarantine_leftovers import pending_note, pending_placement
from pipelines.readers import Row, RowUnreadable
from pipelines.validation import RowValidator
from pseudonymisation.link_keys import record_key


class RetryRefused(ValueError):
    """The quarantine file cannot be retried; the message says what to do instead."""


NOT_QUARANTINE = "not a quarantine file (expected <quarantine>/<source>/<file>.rejected.csv)"


def retry_quarantine(ctx: IngestContext, path: Path) -> BatchSummary:
    """Load the fixed rows as a batch of the original's period (it replaces nothing); rows still wrong stay.
    Refused for a batch no longer current (replaced by a re-send, or outdated by a later period): its rows would
    be stale, and its quarantine file went with its raw rows."""
    source, original = _source_of(ctx, path), original_name(path)
    if source is None:
        raise RetryRefused(f"{path}: {NOT_QUARANTINE}")
    contract = ctx.contracts[source]
    ctx.ensure_schema()
    with psycopg.connect(ctx.url) as conn:  # a partial file its batch's rename left is put in place first
        settle_source_leftovers(conn, ctx, contract)
    with psycopg.connect(ctx.url) as conn:
        batch = conn.execute(
            "select b.batch_id, b.status, b.period, b.replaced_by, b.outdated_by, l.file_name, l.period,"
            f" b.batch_id in (select batch_id from audit.current_batches where source = b.source) or {waiting('b')},"
            # the batch holding its rows to fix (its latest loaded retry, or itself)
            " coalesce(retried.batch_id, b.batch_id)"
            " from audit.batches as b left join audit.batches as l"
            " on l.batch_id = coalesce(b.replaced_by, b.outdated_by)"
            f" left join lateral {latest_loaded_retry('b')} as retried"
            " on true where b.source = %s and b.file_name = %s and b.retry_of is null"
            # a loaded batch first: a later send of the same name rejected as a whole left its rows to fix
            " order by b.status = 'loaded' desc, b.batch_id desc limit 1",
            (source, original),
        ).fetchone()
        if batch is None:
            if not path.is_file():
                raise RetryRefused(f"{path}: {NOT_QUARANTINE}")
            raise RetryRefused(f"{path.name}: no batch of {source} was read from {original}")
        batch_id, status, period, replaced_by, outdated_by, later_file, later_period, current, holding = batch
        if status == "rejected":
            raise RetryRefused(
                f"{original} was rejected as a whole (batch {batch_id}): fix the file itself and load it again"
                f" with `abord ingest --source {source} FILE`"
            )
        if status == "replaced":
            raise RetryRefused(
                f"batch {batch_id} of {original} was replaced by batch {replaced_by} ({later_file}), a re-send of"
                f" period {period}: its rows are no longer current, nothing to retry"
            )
        if not current:
            by = f"batch {outdated_by} ({later_file}) of period {later_period}" if outdated_by else "a later period"
            raise RetryRefused(
                f"batch {batch_id} of {original} (period {period}) was outdated by {by}: its rows are no longer"
                " current, nothing to retry"
            )
        to_fix_rows, opposed = rows_to_fix(conn, holding), opposed_rows(conn, holding)
        if (kept := pending_placement(conn, path, holding)) is not None:  # its writer still running
            raise RetryRefused(pending_note(path, kept, source))
        # Read once, every line checked (a bad one is named here): all the retry says and loads is of these bytes,
        # whatever the steward's spreadsheet saves meanwhile (the batch is refused if it does, ingest._load)
        try:
            read = snapshot(path)
        except FileNotFoundError:
            if to_fix_rows:
                raise RetryRefused(deleted_gives_up(path, batch_id, len(to_fix_rows))) from None
            raise RetryRefused(
                f"{path}: no such quarantine file (batch {batch_id} of {original} has no rows to fix)"
            ) from None
        except QuarantineUnreadable as exc:
            raise RetryRefused(str(exc)) from None
        except OSError as exc:  # another owner's file in mode 0600, a lock: said as ingestion says it, not a traceback
            return BatchSummary(source, path.name, UNREADABLE, message=unreadable([path], exc, retry=True))
        if next(read.rows(), None) is None:
            raise RetryRefused(_emptied(path, batch_id, original, len(to_fix_rows)))
        known = _loaded_refs(conn, ctx, contract, period, read)
    extract = Extract(
        path=path,
        # a quarantine file has every column
        rows=lambda _lacking: _retried_rows(read, batch_id, to_fix_rows, opposed),
        period=period,
        quarantine=path,
        retry_of=batch_id,
        known_refs=known,
        given_up=_given_up(to_fix_rows, read),
        snapshot=read,
    )
    return ingest_extract(ctx, contract, extract)


def _source_of(ctx: IngestContext, path: Path) -> str | None:
    """The source whose quarantine folder holds the file, the folders compared resolved: the command line resolves
    the file it is given, and a source's folder may be a link (to another disk) named otherwise; a copy in a folder
    named for a source elsewhere is not its quarantine file (its retry would write the rows left over the copy)."""
    folder = path.resolve().parent
    return next((name for name in ctx.contracts if (ctx.quarantine_dir / name).resolve() == folder), None)


def _emptied(path: Path, batch_id: int, original: str, to_fix: int) -> str:
    """A quarantine file the steward emptied down to its header: nothing to load, and a retry replaces no period.
    Loading nothing would drop its batch's rows to fix with no trace of the choice; the steward deletes the file
    instead, and the ledger keeps counting them as quarantined (rows read = rows loaded + rows quarantined)."""
    return (
        f"{path.name}: no rows in it to retry (batch {batch_id} of {original} has {to_fix} row(s) to fix). Put back"
        f" those you can fix and retry; to give up the others, delete {path}: they stay counted as quarantined,"
        " never loaded (`abord quarantine list --all`)"
    )


def latest_loaded_retry(batch: str) -> str:
    """SQL: the latest loaded retry (batch_id, rows_quarantined) of the batch aliased `batch`, which holds its rows
    to fix, quarantined again; none: the batch itself holds them. A retry rejected as a whole (its file emptied as
    it was read: no_rows) loaded nothing and quarantined none of them again: they are still in the file, as the
    loaded retry before it left them. A retry replaced with its batch by a re-send of the period had loaded: what it
    left is the batch's history. `quarantine retry`, `list` and `show` all take them from here."""
    return (
        "(select r.batch_id, r.rows_quarantined from audit.batches as r"
        f" where r.retry_of = {batch}.batch_id and r.status in ('loaded', 'replaced') order by r.batch_id desc limit 1)"
    )


def deleted_gives_up(path: Path, batch_id: int, rows: int) -> str:
    """What deleting a quarantine file did (as `_emptied` told the steward to give its rows up): nothing records it,
    the file's absence says it for as long as its batch is current (a re-send or a later period takes the rows to
    fix with it)."""
    return (
        f"{path} deleted: batch {batch_id}'s {rows} row(s) to fix in it are given up, they stay counted as"
        " quarantined, never loaded"
    )


# SQL: the source rows set aside for an opposed person by the batch read from the partner's file or any of its
# retries (`holding`: one of them): never to fix again, whatever lines the steward puts under their numbers
_OPPOSED_ROWS = (
    "select source_row from audit.rejections where reason_code = %(opposition)s and batch_id in"
    " (select batch_id from audit.batches where coalesce(retry_of, batch_id) ="
    " (select coalesce(retry_of, batch_id) from audit.batches where batch_id = %(holding)s))"
)


def rows_to_fix(conn, holding: int) -> frozenset[int]:
    """The source rows of the batch holding the rows to fix (the original, or its latest retry) left for the steward
    to fix: not an opposed person's (never loaded), nor a line a retry refused as not to fix."""
    held = conn.execute(
        "select source_row from audit.rejections where batch_id = %(holding)s"
        f" group by source_row having bool_or(reason_code <> %(not_to_fix)s) except {_OPPOSED_ROWS}",
        {"holding": holding, "not_to_fix": NOT_TO_FIX, "opposition": OPPOSITION},
    ).fetchall()
    return frozenset(row for (row,) in held)


def opposed_rows(conn, holding: int) -> frozenset[int]:
    """The source rows ``rows_to_fix`` leaves out as an opposed person's: a retry says why it refuses a line there."""
    found = conn.execute(_OPPOSED_ROWS, {"holding": holding, "opposition": OPPOSITION}).fetchall()
    return frozenset(row for (row,) in found)


def lines_not_to_fix(conn, holding: int, to_fix: frozenset[int], path: Path) -> int:
    """How many lines of the quarantine file a retry refuses as not to fix (a line the steward added, or one
    repeating a row): nothing in them to fix, the steward deletes them. Counted in the file as it stands, as a retry
    tells them (`to_fix`: ``rows_to_fix`` of the batch ``holding`` them), not from the ledger's reasons: a line
    refused then set aside as an opposed person's keeps its reason there, and is in no file. A file that cannot be
    read (its retry names why): the lines the latest retry refused. A count, no value."""
    try:
        lines = _to_fix_or_not(numbered_rows(path), holding, to_fix, own_lines(path))
        return sum(why is not None for *_, why in lines)
    except (QuarantineUnreadable, OSError):
        query = "select count(*) from audit.rejections where batch_id = %s and reason_code = %s"
        return conn.execute(query, (holding, NOT_TO_FIX)).fetchone()[0]


def _given_up(to_fix: frozenset[int], read: Snapshot) -> int:
    """The rows to fix the steward deleted from the quarantine file: told apart by their source rows, not counted,
    so a row added to the file hides none, nor does a line refused as not to fix left under one's number (never its
    own line). They stay counted as quarantined in the batch holding them, never loaded."""
    return len(to_fix - read.own_lines().keys())


def _retried_rows(
    read: Snapshot, batch_id: int, to_fix: frozenset[int], opposed: frozenset[int]
) -> Iterator[tuple[int, Row | RowUnreadable]]:
    """The file's rows, but a line that is not one of the rows to fix, or repeats one, is quarantined again (not
    to fix) and never loaded: the warehouse holds what the partner sent, each row once under its number, not a row
    put in the file at retry time; counted as quarantined, rows read = rows loaded + rows quarantined still holds."""
    for line, number, row, why in _to_fix_or_not(read.rows(), batch_id, to_fix, read.own_lines(), opposed):
        if why is None:
            yield number, row
        else:
            yield number, RowUnreadable(NOT_TO_FIX, f"{read.path.name}: line {line}: source_row {number} {why}", row)


def _to_fix_or_not(
    rows: Iterable[tuple[int, int, Row]],
    batch_id: int,
    to_fix: frozenset[int],
    own: dict[int, int],
    opposed: frozenset[int] = frozenset(),
) -> Iterator[tuple[int, int, Row, str | None]]:
    """(line, source row, row, why it is not to fix, None for the own line of a row to fix) per line of a
    quarantine file of batch `batch_id`; `own`: its ``own_lines``, a line a retry refused never one, wherever it
    stands; `opposed`: ``opposed_rows``, said apart (no person named)."""
    for line, number, row in rows:
        if number in opposed:
            why = (
                "was set aside, its person having objected to the use of their data (opposition): nothing under its"
                " number is loaded, delete this line"
            )
        elif number not in to_fix:
            why = f"is not one of batch {batch_id}'s rows to fix (loaded, given up, or added to the file)"
        elif own.get(number) == line:
            why = None
        elif number in own and own[number] < line:
            why = f"appears twice: line {own[number]} came first"
        else:
            why = (
                f"was refused by a retry already (reason_code {NOT_TO_FIX}): it is not its row's own line, nothing in"
                " it is loaded, delete this line"
            )
        yield line, number, row, why


def _loaded_refs(conn, ctx: IngestContext, contract: Contract, period: str, read: Snapshot) -> frozenset[str]:
    """Which of the file's record refs are already loaded in the period: those rows would repeat an id. Only
    the file's own refs are looked up: the period may hold millions."""
    validate = RowValidator(contract, ctx.today)
    record_id = contract.record_id.name
    refs = set()
    for _, _, row in read.rows():
        value = validate(row)[0].get(record_id)
        if value is not None:
            refs.add(record_key(ctx.key, contract.name, str(value)))
    found = conn.execute(
        f"select record_ref from {contract.raw_table} where record_ref = any(%s) and batch_id in"
        " (select batch_id from audit.batches where source = %s and period = %s and status = 'loaded')",
        (sorted(refs), contract.name, period),
    ).fetchall()
    return frozenset(ref for (ref,) in found)
