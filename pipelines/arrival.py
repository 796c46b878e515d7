"""Whether a landing file stood still while a batch read it.

A partner's upload writes under the final name (sftp, a network share); a steward moves a file away. A batch whose
file changed under it read part of one version under the sha256 of another, and one whose file went read nothing:
either would record a batch that no file stands for, so neither records anything, and the file is read again
when it next stands still (the landing sensor waits for that).
"""

from __future__ import annotations

import os
from pathlib import Path

CHANGED = "changed"  # BatchSummary statuses of a batch that recorded nothing
GONE = "gone"

Stamp = tuple[int, int, int]


def stamp(path: Path) -> Stamp | None:
    """Size, modification time and inode (a file renamed over it), or None when no file is there."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def moved_on(path: Path, before: Stamp | None) -> tuple[str, str] | None:
    """(status, message) when the file is no longer as it was `before` its batch read it; None when it is."""
    now = stamp(path)
    if before is None or now is None:
        return GONE, "no longer in landing (moved or renamed since it was listed): nothing read"
    if now != before:
        return CHANGED, "changed while it was read (still being copied?): nothing loaded, read again once it is whole"
    return None
