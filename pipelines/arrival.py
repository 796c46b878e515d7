"""Whether a landing file, and those its batch reads with it (a FHIR export's Patient file), stood still while the
batch read them.

A partner's upload writes under the final name (sftp, a network share); a steward moves a file away. A batch whose
file changed under it read part of one version under the sha256 of another, and one whose file went read nothing:
either would record a batch that no file stands for, so neither records anything, and the file is read again
when it next stands still (the landing sensor waits for that).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

CHANGED = "changed"  # BatchSummary statuses of a batch that recorded nothing
GONE = "gone"
UNREADABLE = "unreadable"  # the abord user may not read it (permissions, a lock): read again once it can

Stamp = tuple[int, int, int]
Stamps = tuple[Stamp | None, ...]


def stamp(path: Path) -> Stamp | None:
    """Size, modification time and inode (a file renamed over it), or None when no file is there."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def stamps(paths: Sequence[Path]) -> Stamps:
    """A batch's file's stamp, then those of the files it reads with it."""
    return tuple(map(stamp, paths))


def unreadable(paths: Sequence[Path], exc: OSError, retry: bool = False) -> str:
    """Why a batch's file, or one it reads with it, could not be opened, naming it and the OS error: not a file
    rejected (its sha256, which the ledger knows files by, cannot be read), so nothing is recorded. A `retry`'s
    file is a quarantine file: no run reads it, the steward retries it."""
    name = Path(exc.filename).name if exc.filename else paths[0].name
    again = "`abord quarantine retry` reads it" if retry else "a run or `abord ingest` reads it"
    return (
        f"{name} cannot be read: {exc.strerror or exc}; nothing read, nothing recorded: once the abord user can"
        f" read it, {again}"
    )


def moved_on(paths: Sequence[Path], before: Stamps | None, retry: bool = False) -> tuple[str, str] | None:
    """(status, message) when the batch's file (the first of `paths`) or one it reads with it (a FHIR export's
    Patient file, which may be missing: its reader rejects the batch) is no longer as it was `before` the batch read
    them; None when every one is. A `retry`'s file is a quarantine file the steward may save again as it is retried,
    and an opposition (`abord opposition add`, a load finding a person opposed) rewrites without their rows, or
    deletes when they were its only rows: which of them did cannot be told, so neither is said to be the cause; the
    steward retries it again, as it is then."""
    now = stamps(paths)
    if retry and now != before:
        if now[0] is None:
            why = "deleted or moved, its batch replaced, or its rows all of persons opposed"
            return GONE, f"gone while it was retried ({why}): nothing loaded, nothing recorded"
        why = "saved again, or a person's rows taken out of it by an opposition"
        return CHANGED, f"changed while it was retried ({why}): nothing loaded, nothing recorded; retry it as it is now"
    if before is None or before[0] is None or now[0] is None:
        return GONE, "no longer in landing (moved or renamed since it was listed): nothing read"
    if now != before:
        beside = [p.name for p, b, n in zip(paths[1:], before[1:], now[1:], strict=True) if b != n]
        which = f"its {', '.join(beside)} " if beside else ""
        return (
            CHANGED,
            f"{which}changed while it was read (still being copied?): nothing loaded, read again once it is whole",
        )
    return None
