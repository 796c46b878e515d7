"""Quarantine files a process left behind, which may hold identifiers (an opposed person's too): a batch's partial
file (a load killed before its commit, or a rename that failed after it) and a rewrite's temporary file
(``quarantine.drop_lines`` killed). Only those whose writer process is gone are touched, and under the writers' lock,
where no batch is between its commit and its rename (``writer_lock.hold_past_commit``).
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Callable
from pathlib import Path

from pipelines.ledger import sha256_of
from pipelines.quarantine import (
    PARTIAL,
    QuarantineUnreadable,
    in_place,
    lines_within,
    original_name,
    partial_sha,
    stale_partials,
    stale_rewrites,
)
from pipelines.writer_lock import lock_for_transaction

log = logging.getLogger(__name__)


def holding_batch(conn, source: str, path: Path) -> int | None:
    """The loaded batch, not outdated, whose rejected rows a quarantine file holds: a partial file's own (by the
    sha256 in its name); a file in place's latest loaded retry, or else its original. None when there is none."""
    placed = in_place(path)
    params = {"source": source, "file": original_name(placed), "placed": placed.name, "sha": partial_sha(path)}
    if params["sha"] is not None:  # a retry's batch is named for the quarantine file it read
        query = "sha256 = %(sha)s and file_name in (%(file)s, %(placed)s)"
    else:
        query = (
            "(file_name = %(file)s and retry_of is null or retry_of in (select batch_id from audit.batches"
            " where source = %(source)s and file_name = %(file)s and retry_of is null))"
        )
    found = conn.execute(
        "select batch_id from audit.batches where source = %(source)s and status = 'loaded' and outdated_by is null"
        f" and {query} order by batch_id desc limit 1",
        params,
    ).fetchone()
    return None if found is None else found[0]


def pending_placement(conn, place: Path, holding: int) -> Path | None:
    """The partial file a committed batch's rename failed to put at ``place``, the only copy of its rows to fix,
    while it waits for its source's next load to put it there (``_settle_partial``); None when what ``place`` holds
    (or its absence) is what there is to read. ``holding``: the batch holding the rows to fix, whose sha256 its name
    holds."""
    (sha,) = conn.execute("select sha256 from audit.batches where batch_id = %s", (holding,)).fetchone()
    kept = sorted(place.parent.glob(f"{glob.escape(place.name)}.{sha}.*{PARTIAL}"))
    try:
        return kept[0] if kept and _spent(conn, holding, place) else None
    except OSError:  # its place cannot be read (another owner's, in mode 0600): the file to name as unreadable
        return None


def pending_note(place: Path, kept: Path, source: str) -> str:
    """What `quarantine list`, `show` and `retry` say of a file ``pending_placement`` found: not deleted, nothing
    given up."""
    return (
        f"{place.name} is not in place: its rows to fix are in {kept} (its rename failed after its batch committed);"
        f" the next load or retry of {source} puts it in place once the process that wrote it has ended"
    )


def settle_leftovers(conn, source: str, folder: Path, purge: Callable[[Path], object]) -> None:
    """At a load of the source, before it reads, in a transaction of ``conn``: the lock is taken only when there is
    something to settle (a load does not wait for a dbt build otherwise), and held until that transaction ends.
    ``purge`` takes the rows of opposed persons out of a partial file before it is put in place."""
    if next(stale_partials(folder), None) is None and next(stale_rewrites(folder), None) is None:
        return
    lock_for_transaction(conn)
    remove_stale_rewrites(folder)
    for path in stale_partials(folder):
        _settle_partial(conn, source, path, purge)


def remove_stale_rewrites(folder: Path) -> None:
    """A rewrite's temporary file is a copy of a file in place, less some rows: nothing in it is to keep."""
    for path in stale_rewrites(folder):
        path.unlink(missing_ok=True)


def _settle_partial(conn, source: str, path: Path, purge: Callable[[Path], object]) -> None:
    """Finish what its writer left: in place when its batch committed and is still the one its place holds the
    rows of; removed otherwise."""
    if partial_sha(path) is None:  # named before names held the sha256: whose rows it holds cannot be told
        _tell_kept(source, path, "may be the only copy of a committed batch's rejected rows (its rename failed)")
        return
    own = holding_batch(conn, source, path)
    place = in_place(path)
    if own is None or own != holding_batch(conn, source, place):
        # Its batch never committed (a load killed: its file is read again), was rejected whole (its reason is in
        # the ledger), was replaced or outdated since (its rows went with its raw rows), or a later retry of its
        # rows loaded: the file in place is that retry's, read from this one's rows, and is never written over.
        path.unlink(missing_ok=True)
        return
    try:
        # rows of persons opposed since, or never set aside (a concurrent load of the same file, killed before its
        # linkage, left a copy of the batch's rows)
        purge(path)
        if not _spent(conn, own, place):
            # Written since the batch committed: by its own rename (this is then a killed concurrent load's copy,
            # maybe cut short), or the steward's copy of this file, fixed. Never written over.
            if path.exists() and not lines_within(path, place):
                _tell_kept(
                    source, path, f"holds rows {place.name} does not", "compare the two and keep the rows to fix"
                )
            else:
                path.unlink(missing_ok=True)
            return
        # What its place holds is spent (none, or the file its retry read): over it, or gone with it when the
        # purge left no row.
        if path.exists():
            path.replace(place)
        else:
            place.unlink(missing_ok=True)
    except (OSError, QuarantineUnreadable) as exc:  # kept: the only copy of the rows; the purge reads it as it is
        why = getattr(exc, "strerror", None) or exc
        _tell_kept(source, path, f"the only copy of a committed batch's rejected rows, not put in place ({why})")


def _spent(conn, own: int, place: Path) -> bool:
    """Whether the file at a partial file's place may go: there is none, or it is the one its batch, a retry,
    read (its sha256). A file of a batch it replaced, or of a send rejected whole, cannot be told from one written
    since: it stays, and so does the partial file unless the place holds its every line."""
    if not place.exists():
        return True
    sha, retry_of = conn.execute("select sha256, retry_of from audit.batches where batch_id = %s", (own,)).fetchone()
    return retry_of is not None and sha256_of(place) == sha


def _tell_kept(source: str, path: Path, why: str, what: str = "") -> None:
    log.warning("%s/%s: %s; %s", source, path.name, why, what or f"move it to {in_place(path).name}")
