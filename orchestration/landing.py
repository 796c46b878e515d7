"""What the contracts claim in landing, as the landing sensor lists it at each tick: every file's fingerprint, the
sources claiming it, the export folders a run packs or refuses, and the files no contract claims."""

from dataclasses import dataclass, field
from pathlib import Path

from pipelines.arrival import stamp
from pipelines.contract import Contract
from pipelines.ingest import find_extracts
from pipelines.readers import FileRejected, read_beside
from pipelines.readers.hmis_export import export_members, unpackable
from pipelines.settings import get_settings


def _fingerprint(path: Path) -> str | None:
    """None for a file moved away since it was listed: it is not in landing, not an error failing the tick."""
    found = stamp(path)  # with the inode: a file renamed over another of the same size and mtime is new
    return None if found is None else ":".join(map(str, found))


@dataclass
class Landing:
    """What the contracts claim in landing. fingerprints: path -> size and modification time of every file (cheap:
    no file is read), of those its batch reads beside it, and of the files in each export folder a ZIP pattern
    would claim; sources: path -> the contracts claiming it; packed: the ZIP packed from an export folder still in
    landing -> that folder (the run packs the folder again: the folder is what is waited for); pulled: an sql
    source's pulls, loaded by the run that pulled them, asked for by no run; refused: an export folder a run
    refuses to pack (two exports in it) -> why; empty: the export folders holding no CSV file yet, neither in them
    nor in a sub-folder (made before the export was copied in), watched by no run until one is."""

    fingerprints: dict[str, str] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=dict)
    packed: dict[str, str] = field(default_factory=dict)
    pulled: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)

    @property
    def watched(self) -> dict[str, str]:
        return {path: f for path, f in self.fingerprints.items() if path not in self.packed}

    @property
    def claimed(self) -> set[str]:
        return {*self.fingerprints, *self.pulled, *self.empty}

    def add(self, path: str, fingerprint: str, contract: Contract) -> None:
        self.fingerprints[path] = fingerprint
        self.sources.setdefault(path, set()).add(contract.name)

    def claimed_by(self, paths: list[str], sources: set[str]) -> list[str]:
        """Those of `paths` a source in `sources` claims."""
        return [path for path in paths if self.sources.get(path, set()) & sources]


def list_landing(contracts: dict[str, Contract]) -> Landing:
    landing = get_settings().landing_dir
    found = Landing()
    for contract in contracts.values():
        for path in find_extracts(contract, landing):
            if contract.format.type == "sql":
                found.pulled.add(str(path.relative_to(landing)))
                continue
            for file in (path, *read_beside(path, contract)):
                if (fingerprint := _fingerprint(file)) is not None:
                    found.add(str(file.relative_to(landing)), fingerprint, contract)
        if contract.file_pattern.endswith(".zip"):
            for folder in landing.glob(contract.file_pattern.removesuffix(".zip")):
                if folder.is_dir():
                    _add_export_folder(found, folder, landing, contract)
    return found


def _add_export_folder(found: Landing, folder: Path, landing: Path, contract: Contract) -> None:
    """An export folder, fingerprinted by the files a run packs from it (in it or in its one sub-folder), so one
    still being copied is waited for. One a run refuses (two sub-folders of CSV files, or one its user may not
    list) starts a run all the same, which says why as it says it of any file refused, loading nothing of it:
    fingerprinted by why, a run again once the steward puts it right."""
    path = str(folder.relative_to(landing))
    try:
        members = export_members(folder)
    except FileNotFoundError:  # moved away as it was listed, or a sub-folder of it: not an error failing the tick
        if folder.is_dir():  # changing (a sub-folder moved away): waited for until it stands still
            found.add(path, "changed as it was listed", contract)
        return
    except FileRejected as exc:
        _refuse(found, path, folder, contract, exc)
        return
    except OSError as exc:  # not listable by the daemon's user (its mode): the run refuses it too, as pack_folder
        _refuse(found, path, folder, contract, unpackable(folder, exc))
        return
    if not members:  # the runs pack none with no CSV file (pack_folders): a run for it would find nothing to load
        found.empty.add(path)
        return
    found.add(path, ",".join(f"{p.name}={_fingerprint(p)}" for p in members), contract)
    packed = folder.with_name(folder.name + ".zip")  # packed by each run
    found.packed[str(packed.relative_to(landing))] = path


def _refuse(found: Landing, path: str, folder: Path, contract: Contract, exc: FileRejected) -> None:
    found.add(path, f"{exc.code}: {exc}", contract)
    found.refused[path] = f"{path} ({exc.code}){str(exc).removeprefix(folder.name)}"


def unclaimed_files(claimed: set[str]) -> list[str]:
    """Files in landing no contract claims (a misnamed extract, a partner with no contract yet): no run reads
    them. Hidden and `.partial` files are uploads or pulls still being written."""
    landing = get_settings().landing_dir
    if not landing.is_dir():
        return []
    found = []
    for path in landing.rglob("*"):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts) or path.suffix == ".partial" or not path.is_file():
            continue
        if not any(str(parent) in claimed for parent in (relative, *relative.parents)):
            found.append(str(relative))
    return sorted(found)
