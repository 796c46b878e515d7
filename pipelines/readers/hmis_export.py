"""An HMIS CSV export as one landing file: the ZIP of Export.csv, Client.csv... that HMIS software writes.

An export that arrives as a folder is packed into that ZIP first (`pack_folder`): the batch ledger knows a
file by its sha256 and the contract reads its period from the file name, so one export is one file. Unzipping an
export often gives a folder holding one folder of the CSV files (hmis_2025-10/HMIS_Export/Client.csv): read as if
they were in the first.
"""

from __future__ import annotations

import filecmp
import io
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from pipelines.arrival import Stamp, stamp
from pipelines.readers.errors import DAMAGED, FileRejected, damaged

# Fixed member times: the same folder packs to the same bytes, so a re-sent folder is "already loaded".
PACKED_AT = (1980, 1, 1, 0, 0, 0)


class HmisExport:
    """The CSV members of an export ZIP by file name (Client, Enrollment...), wherever they sit inside it: once
    each, or the ZIP is rejected."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError):
            raise FileRejected("not_zip", f"{path.name}: not a readable ZIP archive of an HMIS CSV export") from None
        self._members: dict[str, str] = {}
        for info in self._zip.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".csv"):
                continue
            file = Path(info.filename).stem.lower()
            if file in self._members:  # two exports zipped together: which one is this month's?
                self._zip.close()
                raise FileRejected(
                    "duplicate_hmis_file",
                    f"{path.name}: {self._members[file]} and {info.filename} are both in the ZIP: send one export",
                )
            self._members[file] = info.filename

    def has(self, file: str) -> bool:
        return file.lower() in self._members

    @contextmanager
    def open(self, file: str) -> Iterator[TextIO]:
        if not self.has(file):
            raise FileRejected("missing_hmis_file", f"{file}.csv is not in the export")
        # HMIS CSV is UTF-8 (FY2026 says so; FY2024 exports are ASCII in practice); utf-8-sig drops a BOM.
        try:
            member = self._zip.open(self._members[file.lower()])
            with io.TextIOWrapper(member, encoding="utf-8-sig", newline="") as text:
                yield text
        except DAMAGED as exc:  # as it is decompressed, read by the caller: damaged, or written over meanwhile
            raise damaged("damaged_zip", f"{file}.csv", exc, "the export") from None

    def close(self) -> None:
        self._zip.close()


class ExportChanged(Exception):
    """An export folder whose CSV files changed while it was packed: its ZIP is not put in place."""

    def __init__(self, folder: Path):
        self.folder = folder
        super().__init__(
            f"{folder.name}: changed while it was packed (still being copied?): nothing loaded, packed again once"
            " it stands still"
        )


# What unzipping a ZIP made on a Mac leaves beside the export: its files' resource forks, no export of its own.
MAC_FORKS = "__MACOSX"


def _csv_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv")


def export_members(folder: Path) -> list[Path]:
    """The export's CSV files: in the folder, or, when it holds none, in its only sub-folder (none found: []).
    Several sub-folders holding CSV files are two exports, or one and something else: which is this month's?
    What a run packs, and what the landing sensor watches change (FileNotFoundError: the folder, or its
    sub-folder, moved away as it was listed)."""
    members = _csv_files(folder)
    if members:
        return members
    inner = [p for p in folder.iterdir() if p.is_dir() and p.name != MAC_FORKS and not p.name.startswith(".")]
    holding = [(p, files) for p in sorted(inner) if (files := _csv_files(p))]
    if len(holding) > 1:
        raise FileRejected(
            "ambiguous_hmis_folder",
            f"{folder.name}: no CSV file of its own but {len(holding)} folders of them"
            f" ({', '.join(p.name for p, _ in holding)}): leave the one export of the month in it",
        )
    return holding[0][1] if holding else []


def _stamps(members: list[Path]) -> list[tuple[str, Stamp | None]]:
    return [(p.name, stamp(p)) for p in members]


def unpackable(folder: Path, exc: OSError) -> FileRejected:
    """An export folder a file or sub-folder of which cannot be read (permissions, a lock), or whose ZIP cannot be
    written: named by its path from landing's partner folder, the OS saying why."""
    failed = Path(exc.filename) if exc.filename else folder
    where = failed.relative_to(folder.parent) if failed.is_relative_to(folder.parent) else failed.name
    return FileRejected(
        "unreadable_file",
        f"{folder.name}: packing it failed on {where}: {exc.strerror or exc}; nothing loaded, packed again by the"
        " next run once that is put right",
    )


def pack_folder(folder: Path) -> Path:
    """Pack an export folder into <folder>.zip beside it (replaced only when its bytes change), streaming.
    ExportChanged when a file came, went or changed meanwhile: the ZIP would hold half a copy, under a sha256
    of its own. FileRejected when a file cannot be read (permissions, a lock) or the ZIP written: none is put in
    place."""
    target = folder.with_name(folder.name + ".zip")
    temporary = target.with_name(f".{target.name}.partial")
    try:
        try:
            members = export_members(folder)
            if not members:
                raise FileRejected("missing_hmis_file", f"{folder.name}: no CSV file in this export folder")
            before = _stamps(members)
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
                for member in members:
                    # by its name alone: the same export packs to the same bytes, in a sub-folder or not
                    info = zipfile.ZipInfo(member.name, PACKED_AT)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with member.open("rb") as source, archive.open(info, "w", force_zip64=True) as sink:
                        shutil.copyfileobj(source, sink, 1 << 20)
            if _stamps(export_members(folder)) != before:
                raise ExportChanged(folder)
            if target.is_file() and filecmp.cmp(temporary, target, shallow=False):
                temporary.unlink()  # the same export again: keep the file the ledger already knows
            else:
                temporary.replace(target)  # whole or not at all: the landing sensor never sees half a ZIP
        except FileNotFoundError:  # a file moved away meanwhile
            raise ExportChanged(folder) from None
        except OSError as exc:
            raise unpackable(folder, exc) from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def pack_folders(landing_dir: Path, file_pattern: str) -> list[tuple[Path, ExportChanged | FileRejected]]:
    """Pack the export folders a contract's `<...>.zip` pattern would claim as ZIPs; folders with no CSV wait, as
    do those that changed while packed or could not be packed (returned with why: the run says so, a later one
    packs them once they stand still, or once the steward has put them right)."""
    if not file_pattern.endswith(".zip"):
        return []
    folders = [p for p in sorted(landing_dir.glob(file_pattern.removesuffix(".zip"))) if p.is_dir()]
    unpacked: list[tuple[Path, ExportChanged | FileRejected]] = []
    for folder in folders:
        try:
            pack_folder(folder)
        except FileRejected as exc:
            if exc.code != "missing_hmis_file":  # no CSV file yet: still being copied, it waits
                unpacked.append((folder, exc))
        except ExportChanged as exc:
            unpacked.append((folder, exc))
    return unpacked
