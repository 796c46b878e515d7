"""Quarantine files beside the landing zone: the rejected rows as sent, one line each with its reasons.

The steward fixes the values in place and re-submits the file (`abord quarantine retry FILE`); the fixed rows
keep their source row numbers. These files may hold identifiers: they never reach the warehouse or a log.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Set
from dataclasses import dataclass
from pathlib import Path

from pipelines.arrival import Stamp, stamp
from pipelines.readers import Row
from pipelines.validation import Problem

HEADER = ["source_row", "column", "reason_code", "message"]
SUFFIX = ".rejected.csv"
PARTIAL = ".partial"  # a quarantine file written, not yet in place
REWRITE = ".tmp"  # a quarantine file being rewritten (drop_lines, QuarantineWriter.place)
FILE_ROW = 0  # the source row of a reason that concerns the whole file
LAST_ROW = (1 << 31) - 1  # the largest source row the ledger and raw tables hold (integer)
NOT_TO_FIX = "not_to_fix"  # reason code of a line a retry refuses: not one of its batch's rows to fix, or repeated


@dataclass
class Rejected:
    source_row: int
    problems: list[Problem]
    row: Row | None  # None when the row could not even be split into fields


def quarantine_path(quarantine_dir: Path, source: str, file_name: str) -> Path:
    return quarantine_dir / source / f"{file_name}{SUFFIX}"


def original_name(path: Path) -> str:
    """The landing file name a quarantine file was written for."""
    return path.name.removesuffix(SUFFIX)


def in_place(path: Path) -> Path:
    """Where a partial quarantine file goes once its batch has committed (a file in place: itself)."""
    return path.with_name(path.name[: path.name.rindex(SUFFIX) + len(SUFFIX)])


def partial_sha(path: Path) -> str | None:
    """The sha256 of the batch's file a partial quarantine file was written for (None: not a partial file, or
    one named before names held it)."""
    if not path.name.endswith(PARTIAL):
        return None
    sha = path.name.removesuffix(PARTIAL).rsplit(".", 2)[-2]
    return sha if len(sha) == 64 else None


def stale_partials(folder: Path) -> Iterator[Path]:
    """The temporary quarantine files of a source's folder whose writer is gone (a load killed, or a rename that
    failed after its commit)."""
    return _left_by_the_dead(folder, f"*{SUFFIX}.*{PARTIAL}", PARTIAL)


def stale_rewrites(folder: Path) -> Iterator[Path]:
    """The temporary files of ``drop_lines`` whose writer was killed before renaming or removing them."""
    return _left_by_the_dead(folder, f".*{SUFFIX}*{REWRITE}", REWRITE)


def writer_tag() -> str:
    """This process as a temporary file's name holds it, ``<pid>-<start time>``: a process id alone is reused
    (after a reboot, or wrapping on a busy host), and a file left by the dead would then look written for ever."""
    started = _start_time(os.getpid())
    return str(os.getpid()) if started is None else f"{os.getpid()}-{started}"


def _left_by_the_dead(folder: Path, pattern: str, suffix: str) -> Iterator[Path]:
    """Files named ``….<writer_tag><suffix>`` whose writer process is gone. Quarantine folders are written from
    one host (one process id space). A name of an older abord holds the process id alone (``….<pid><suffix>``)."""
    for path in sorted(folder.glob(pattern)):
        pid, _, started = path.name.removesuffix(suffix).rsplit(".", 1)[-1].partition("-")
        if pid.isdigit() and not _alive(int(pid), started):
            yield path


def _alive(pid: int, started: str) -> bool:
    """Whether the writer runs: its process id is live and, when the name holds one, started when it did."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's
        pass
    now = _start_time(pid) if started else None
    return now is None or now == started  # a start time that cannot be read: taken as the writer's


def _start_time(pid: int) -> str | None:
    """The process's start time, in clock ticks since boot (field 22 of /proc/<pid>/stat); None without /proc or
    once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # after the command's name, which may hold spaces: fields 3 on


_BREAKS = re.compile(r"\r\n|\r|\n")  # a line's end as csv.reader counts them in a file opened with newline=""


class QuarantineWriter:
    """Rejected rows written as they are found, so a batch never holds them in memory. The file is created at
    the first row, under a temporary name the caller renames into place once the batch has committed; the name
    holds its writer (``writer_tag``), so two ingestions of one file never write or rename each other's, and the
    sha256 of the batch's file, so that one left behind can be told to be a committed batch's
    (``quarantine_leftovers``)."""

    def __init__(self, path: Path, columns: list[str], sha: str):
        self.path, self.columns = path, columns
        self.temporary = path.with_name(f"{path.name}.{sha}.{writer_tag()}{PARTIAL}")
        self._handle = None
        self._writer = None
        self._line = 0  # the line the last row written ends on

    def start(self) -> None:
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.temporary.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(HEADER + self.columns)
            self._line = 1

    def add(self, item: Rejected) -> int:
        """The row's line, as ``numbered_rows`` and ``drop_lines`` tell it (where it ends: a value may hold line
        breaks)."""
        self.start()
        problems = item.problems
        fields = [
            item.source_row,
            "; ".join(p.column or "" for p in problems),
            "; ".join(p.code for p in problems),
            "; ".join(p.message for p in problems),
            *[(item.row or {}).get(c) or "" for c in self.columns],
        ]
        self._writer.writerow(fields)
        self._line += _lines_of(fields)
        return self._line

    def place(self, late: list[Rejected]) -> tuple[dict[int, int], list[int]]:
        """Write rows rejected once every other row was read (duplicates held back until they could be compared
        with the rows spooled) at their rows' places, not after every line: the file keeps the order of its rows,
        a row's own line before the lines a retry refused under its number, as the steward reads it. The lines
        written so far are copied with them in; returns their new lines (old -> new, as ``add`` tells them) and
        those of ``late``, in its order."""
        if self._handle is None or not late:
            return {}, [self.add(item) for item in late]
        self._handle.close()
        moved: dict[int, int] = {}
        placed: dict[int, int] = {}  # index in late -> its line
        waiting = deque(sorted(range(len(late)), key=lambda n: late[n].source_row))
        handle = _rewrite_of(self.temporary)
        try:
            with handle, self.temporary.open(encoding="utf-8", newline="") as source:
                reader, self._writer = csv.reader(source), csv.writer(handle)
                self._writer.writerow(next(reader))
                self._line = 1
                for fields in reader:
                    number, refused = int(fields[0]), fields[2] == NOT_TO_FIX
                    while waiting and (late[waiting[0]].source_row, False) < (number, refused):
                        n = waiting.popleft()
                        placed[n] = self.add(late[n])
                    self._writer.writerow(fields)
                    self._line += _lines_of(fields)
                    moved[reader.line_num] = self._line
                for n in waiting:
                    placed[n] = self.add(late[n])
            shutil.copymode(self.temporary, handle.name)
            os.replace(handle.name, self.temporary)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        self._handle = self.temporary.open("a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._handle)
        return moved, [placed[n] for n in range(len(late))]

    def close(self) -> Path | None:
        """The temporary file, or None when no row was rejected."""
        if self._handle is None:
            return None
        self._handle.close()
        self._handle = self._writer = None
        return self.temporary

    def discard(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = self._writer = None
        self.temporary.unlink(missing_ok=True)


def _lines_of(fields: list) -> int:
    """The lines a row of fields takes in a quarantine file: a value may hold line breaks."""
    return 1 + sum(len(_BREAKS.findall(f)) for f in fields if isinstance(f, str))


def _rewrite_of(path: Path):
    """The temporary file a quarantine file (or a partial one) is rewritten into, renamed over it once written;
    named for its writer (``writer_tag``), so one a kill left behind is told from one being written
    (``stale_rewrites``)."""
    return tempfile.NamedTemporaryFile(
        "w",
        encoding="utf-8",
        newline="",
        dir=path.parent,
        prefix=f".{path.name}.",
        suffix=f".{writer_tag()}{REWRITE}",
        delete=False,
    )


def write_quarantine(path: Path, rejected: list[Rejected], columns: list[str], sha: str) -> Path:
    """Write to a temporary name; the caller renames it into place once the batch has committed."""
    writer = QuarantineWriter(path, columns, sha)
    writer.start()
    for item in rejected:
        writer.add(item)
    return writer.close()


class QuarantineUnreadable(ValueError):
    """A quarantine file the steward's spreadsheet saved in another shape; the message says how to save it."""


SAVE_AS = 'Save it as "CSV UTF-8 (comma delimited)" and try again.'


def _lines(path: Path, data: bytes | None = None) -> Iterator[tuple[int, int, dict[str, str]]]:
    """(line number, source row, line) per line of a quarantine file, as a spreadsheet may save it again: with a
    byte-order mark (Excel's CSV UTF-8) and blank lines (empty rows of the sheet), skipped. Any other shape is
    refused by name before a row is used: a semicolon-separated or Windows-1252 save, a row number changed to one
    no row was written with, a quote never closed (past csv's field limit; a shorter one is read as one value, as
    csv reads it). ``data``: the file's bytes as read already (``Snapshot``), else they are read from ``path``."""
    try:
        if data is None:
            opened = path.open(encoding="utf-8-sig", newline="")
        else:
            opened = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
        with opened as handle:
            reader = csv.DictReader(handle)
            if (reader.fieldnames or [])[: len(HEADER)] != HEADER:
                raise QuarantineUnreadable(
                    f"{path.name}: line 1 is not the header of a quarantine file ({','.join(HEADER)},...): saved"
                    f" again with ';' between values? {SAVE_AS}"
                )
            for line in _records(path, reader):
                if not any(isinstance(v, str) and v.strip() for v in line.values()):
                    continue
                try:
                    number = int(line["source_row"])
                except (TypeError, ValueError):
                    number = None
                if number is None or not FILE_ROW <= number <= LAST_ROW or number == FILE_ROW and _values(line):
                    # a whole file's reason (FILE_ROW) is written with no row: a row under it would be skipped unread
                    raise QuarantineUnreadable(
                        f"{path.name}: line {reader.line_num}: source_row must keep the row number it was written with"
                    )
                yield reader.line_num, number, line
    except UnicodeDecodeError:
        raise QuarantineUnreadable(f"{path.name}: not UTF-8 text (saved as Windows-1252?). {SAVE_AS}") from None


def _values(line: dict[str, str]) -> bool:
    """Whether a line holds a value in a column of its contract."""
    return any(isinstance(v, str) and v.strip() for k, v in line.items() if k not in HEADER)


def _records(path: Path, reader: csv.DictReader) -> Iterator[dict[str, str]]:
    """A quote opened in a text editor and never closed runs on over the lines after it, past csv's field limit."""
    while True:
        start = reader.line_num + 1
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise QuarantineUnreadable(
                f"{path.name}: line {start} opens a quoted value that is never closed. Close it and try again."
            ) from None


def lines_within(path: Path, other: Path) -> bool:
    """Whether every line of a quarantine file is in another as it stands (a copy of it, or of part of it)."""
    held = {tuple(line.values()) for *_, line in _lines(other)}
    return all(tuple(line.values()) in held for *_, line in _lines(path))


def numbered_rows(path: Path, data: bytes | None = None) -> Iterator[tuple[int, int, Row]]:
    """(line number, source row, row) per row of a quarantine file, for messages naming the line; ``data`` as
    ``_lines`` takes it."""
    for line_number, number, line in _lines(path, data):
        if number != FILE_ROW:
            yield line_number, number, {k: v for k, v in line.items() if k not in HEADER}


def own_lines(path: Path, data: bytes | None = None) -> dict[int, int]:
    """Source row -> its own line in a quarantine file: the first of its lines not refused as not to fix by a retry
    (its reason code), the line a retry loads as the row; the others it refuses. A writer writes one per row,
    before its refused ones (an older abord wrote a duplicate held back after them). Whatever the steward changes
    in the file, a retry and the taking out of an opposed person's lines (``rows_set_aside``) read the same line
    as the row's. ``data`` as ``_lines`` takes it."""
    own: dict[int, int] = {}
    for line, number, values in _lines(path, data):
        if number != FILE_ROW and (values["reason_code"] or "").strip() != NOT_TO_FIX:
            own.setdefault(number, line)
    return own


@dataclass(frozen=True)
class Snapshot:
    """A quarantine file read once, as ``abord quarantine retry`` uses it: whether it is empty, which rows it
    holds, the rows loaded and the sha256 the batch is known by all come from the same bytes, whatever the
    steward's spreadsheet saves over the file meanwhile; ``stamp``, taken before they were read, tells whether it
    did (``arrival.moved_on``). Its bytes are kept, not its rows: parsed, a row takes ten times its bytes, and a
    month of a large source quarantined whole (a changed date format) is hundreds of thousands of rows."""

    path: Path
    stamp: Stamp | None
    sha256: str
    data: bytes

    def rows(self) -> Iterator[tuple[int, int, Row]]:
        """numbered_rows of its bytes, read as they were checked."""
        return numbered_rows(self.path, self.data)

    def own_lines(self) -> dict[int, int]:
        """own_lines of its bytes."""
        return own_lines(self.path, self.data)


def snapshot(path: Path) -> Snapshot:
    """Raises OSError when the file cannot be read, QuarantineUnreadable naming file and line when it is in
    another shape: every line is read and checked before a snapshot is made."""
    before = stamp(path)
    data = path.read_bytes()
    for _ in numbered_rows(path, data):
        pass
    return Snapshot(path, before, hashlib.sha256(data).hexdigest(), data)


class QuarantineChanged(RuntimeError):
    """The quarantine file was replaced (a batch settled it) while lines were being taken out of it."""


def rows_set_aside(path: Path, numbers: Mapping[int, int], lines: Set[int]) -> set[int]:
    """The source rows an opposed person's ``lines`` of a quarantine file set aside (``numbers``: its line -> source
    row): each whose own line (``own_lines``) is one of them, or that has none. Another line of the row, left under
    its number, would be the next retry's own line of it, loaded as the opposed person's row. A line of theirs that
    is not its number's own (another person's line the steward put there) leaves the row to fix as it is."""
    own = own_lines(path)
    return {numbers[line] for line in lines if own.get(numbers[line], line) in lines}


def drop_lines(path: Path, lines: Set[int]) -> Path | None:
    """Take ``lines`` (line numbers, as ``numbered_rows`` and ``QuarantineWriter.add`` tell them) out of a quarantine
    file: by line, not source row, as a line a retry refused as not to fix shares its source row with another. The
    others are copied to a new file renamed over it, so a reader sees the old file or the new one, never half of it.
    None, and no file, when no line is left. Raises QuarantineChanged, leaving it as it is, when another file took
    its name meanwhile. The new file's name holds its writer (``writer_tag``): one a kill left behind is told from
    one being written (``stale_rewrites``)."""
    if not lines:
        return path
    left = 0
    handle = _rewrite_of(path)
    try:
        with handle, path.open(encoding="utf-8-sig", newline="") as source:
            read = os.fstat(source.fileno()).st_ino
            reader, writer = csv.reader(source), csv.writer(handle)
            writer.writerow(next(reader))
            for line in reader:
                if not any(v.strip() for v in line):
                    continue  # a blank line a spreadsheet saved (an empty row of the sheet), as _lines skips it
                if reader.line_num not in lines:
                    writer.writerow(line)
                    left += 1
        if os.stat(path).st_ino != read:
            raise QuarantineChanged(path.name)
        if not left:
            Path(handle.name).unlink()
            path.unlink()
            return None
        shutil.copymode(path, handle.name)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def reasons_in(path: Path) -> list[tuple[int, str, str, str]]:
    """(source row, columns, reason codes, message) per line, for showing a steward."""
    return [(number, r["column"], r["reason_code"], r["message"]) for _, number, r in _lines(path)]
