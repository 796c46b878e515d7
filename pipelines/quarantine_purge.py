"""Quarantine files after a rights request (`abord opposition add`, `abord forget`): the rows of the persons it
names leave the quarantine files they wait in, as ingestion sets such rows aside when it knows at once.

Each quarantine file of a person-level source, and each partial one a writer left behind (a rename that failed
after its batch committed: ``quarantine_leftovers``), is read as its retry would read it: its rows validated, keyed
(``ingest.RowLinkKeys``) and matched by linkage's own rules (``person_linkage.RowIdentities``) against the store
the request has just changed. The lines found opposed leave the file (a new file renamed over it,
``quarantine.drop_lines``); the batch whose rows the file holds (the original, or its latest retry) counts the
source rows left with no line as quarantined for `opposition` instead of their first reasons: its total does not
change, its counts by reason stay true. A row none of whose identity fields can be read names nobody: it stays
for the steward.

A file that cannot be read (a spreadsheet saved it with ';' or in Windows-1252, a row number changed) or rewritten
is left as it is and named in ``Purge.unreadable``: the request it serves commits all the same, the person's
opposition or erasure being what matters, and the same request run again once the file is saved properly (or the
file's retry, which sets their rows aside as ingestion does) takes their rows out of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines.contract import Contract
from pipelines.ingest import OPPOSITION, IngestContext, RowLinkKeys
from pipelines.ledger import record_rejections
from pipelines.person_linkage import Linked, LinkEntries, RowIdentities
from pipelines.quarantine import (
    SUFFIX,
    QuarantineChanged,
    QuarantineUnreadable,
    drop_lines,
    numbered_rows,
    rows_set_aside,
    stale_partials,
)
from pipelines.quarantine_leftovers import holding_batch, remove_stale_rewrites
from pipelines.validation import RowValidator

ATTEMPTS = 3  # a file a batch settles meanwhile is read again
_Aside = tuple[LinkEntries, Linked]  # a batch's entries and their linkage


@dataclass
class Purge:
    rows: int = 0  # taken out
    unreadable: list[str] = field(default_factory=list)  # per file left as it is: its source/name and why, no value


def purge_opposed(cur, key: bytes, contracts: Mapping[str, Contract], quarantine_dir: Path, today: date) -> Purge:
    """In the request's transaction, once its keys are stored, under the writers' lock; returns the rows taken
    out and the files it could not read. The files are rewritten before the transaction commits: should the commit
    fail, rows of a person who asked to be left out have left quarantine early, never the other way round."""
    # what keying a row reads of a context: the key, and which sources others reference
    return purge_files(cur, IngestContext("", key, quarantine_dir, dict(contracts), lambda: None, today))


def purge_files(cur, ctx: IngestContext, skip: Path | None = None, batch: _Aside | None = None) -> Purge:
    """``purge_opposed`` for a batch whose linkage added to the opposition list, in its transaction, where
    ingestion holds the writers' lock: every quarantine file but ``skip``, the batch's own, which it sets aside
    itself. ``batch`` is its entries and linkage: a misspelt copy of a row it set aside is that person's too."""
    purge = Purge()
    # resolved: the command line resolves the file it retries, a link in the quarantine folder's path does not
    skip = skip and skip.resolve()
    for contract in (c for c in ctx.contracts.values() if c.is_person_level):
        folder = ctx.quarantine_dir / contract.name
        remove_stale_rewrites(folder)
        # A partial file left behind is read as it is, not settled here: a batch's purge runs before its commit,
        # and what it reads of its source's ledger is not yet so; the source's next load settles it.
        for path in [*sorted(folder.glob(f"*{SUFFIX}")), *stale_partials(folder)]:
            if path.resolve() == skip:
                continue
            try:
                purge.rows += _purge_file(cur, ctx, contract, path, batch)
            except QuarantineUnreadable as exc:  # its message names the file and says how to save it
                purge.unreadable.append(f"{contract.name}/{exc}")
            except OSError as exc:  # open in a program that locks it, or no room to rewrite it
                purge.unreadable.append(f"{contract.name}/{path.name}: not read or rewritten ({exc.strerror})")
    return purge


def purge_partial(cur, ctx: IngestContext, contract: Contract, path: Path) -> None:
    """A partial file left behind, before it takes its place (``quarantine_leftovers``): one a load killed before its
    linkage never had an opposed person's rows set aside, and one kept before purges read partial files may hold
    rows of a person opposed since."""
    if contract.is_person_level:
        _purge_file(cur, ctx, contract, path, None)


def _purge_file(
    cur, ctx: IngestContext, contract: Contract, path: Path, batch: _Aside | None, attempts: int = ATTEMPTS
) -> int:
    try:
        lines, rows = _opposed_lines(cur, ctx, contract, path, batch)
        if lines:
            drop_lines(path, lines)
    except FileNotFoundError:  # its batch was replaced or outdated meanwhile: the file went with it
        return 0
    except QuarantineChanged:
        if attempts > 1:
            return _purge_file(cur, ctx, contract, path, batch, attempts - 1)
        raise
    if rows:
        _count_as_opposed(cur, contract, path, rows)
    return len(lines)


def _opposed_lines(
    cur, ctx: IngestContext, contract: Contract, path: Path, batch: _Aside | None
) -> tuple[set[int], set[int]]:
    """The lines of opposed persons, and the source rows they set aside (``rows_set_aside``). Told by line: a line a
    retry refused as not to fix (a row to fix repeated, another person's line put under its number) shares its
    source row with the row to fix, which is not the opposed person's and stays, its reasons as they were; their
    row to fix is set aside, a line refused under its number left for the steward to delete."""
    validate = RowValidator(contract, ctx.today)
    row_link_keys = RowLinkKeys(ctx, contract)
    identities = RowIdentities()
    numbers = {}
    for line, number, row in numbered_rows(path):
        numbers[line] = number
        identities.add(line, *row_link_keys.of_rejected(validate(row)[0]))
    lines = identities.opposed(cur, *(batch or ()))
    return lines, rows_set_aside(path, numbers, lines)


def _count_as_opposed(cur, contract: Contract, path: Path, rows: set[int]) -> None:
    """The rows' reasons, in the batch whose rows the file holds (``holding_batch``), become `opposition`."""
    batch_id = holding_batch(cur, contract.name, path)
    if batch_id is None:
        return
    cur.execute("delete from audit.rejections where batch_id = %s and source_row = any(%s)", (batch_id, sorted(rows)))
    record_rejections(cur, batch_id, [(row, None, OPPOSITION) for row in sorted(rows)])
