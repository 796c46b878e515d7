"""A sensor on the landing folder: a new or changed partner file starts a refresh once it stands still."""

import hashlib
import json
from pathlib import Path

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from pipelines.arrival import stamp
from pipelines.contract import Contract
from pipelines.ingest import find_extracts
from pipelines.settings import get_settings


def _fingerprint(path: Path) -> str | None:
    """None for a file moved away since it was listed: it is not in landing, not an error failing the tick."""
    found = stamp(path)  # with the inode: a file renamed over another of the same size and mtime is new
    return None if found is None else ":".join(map(str, found))


def _read_beside(contract: Contract, path: Path) -> list[Path]:
    """The files its batch reads beside an extract: a FHIR export's Patient file (as read_fhir names it)."""
    if contract.format.type != "fhir":
        return []
    return [path.with_name(path.name.replace(contract.format.resource or "Encounter", "Patient", 1))]


def landing_fingerprints(contracts: dict[str, Contract]) -> dict[str, str]:
    """Path -> size and modification time of every file a contract claims (cheap: no file is read), of those its
    batch reads beside it, and of the files in each export folder a ZIP pattern would claim (the refresh packs the
    folder)."""
    landing = get_settings().landing_dir
    fingerprints = {}
    for contract in contracts.values():
        for path in find_extracts(contract, landing):
            for file in (path, *_read_beside(contract, path)):
                if (fingerprint := _fingerprint(file)) is not None:
                    fingerprints[str(file.relative_to(landing))] = fingerprint
        if contract.file_pattern.endswith(".zip"):
            for folder in landing.glob(contract.file_pattern.removesuffix(".zip")):
                if folder.is_dir():
                    members = sorted(folder.glob("*.csv"))
                    parts = [f"{p.name}={_fingerprint(p)}" for p in members]
                    fingerprints[str(folder.relative_to(landing))] = ",".join(parts)
    return fingerprints


def unclaimed_files(claimed: dict[str, str]) -> list[str]:
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


def _shown(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def landing_sensor(job, contracts: dict[str, Contract]):
    @sensor(name="landing_files", job=job, minimum_interval_seconds=60)
    def _sensor(context: SensorEvaluationContext):
        # The run reads every file in landing: it starts once no new file changed since the last tick, never
        # while an upload still writes one (partners' uploads write under the final name).
        cursor = json.loads(context.cursor) if context.cursor else {}
        requested, seen = (cursor["requested"], cursor["seen"]) if "requested" in cursor else (cursor, {})
        current = landing_fingerprints(contracts)
        new = sorted(path for path, fingerprint in current.items() if requested.get(path) != fingerprint)
        arriving = [path for path in new if seen.get(path) != current[path]]
        unclaimed = unclaimed_files(current)
        if unclaimed:
            context.log.warning(f"in landing, claimed by no source contract (misnamed?): {_shown(unclaimed)}")
        if arriving or not new:
            context.update_cursor(json.dumps({"requested": requested, "seen": current}))
            if arriving:
                return SkipReason(
                    f"waiting a tick for {len(arriving)} file(s) new or changed since the last to stand still"
                    f" (an upload may still be writing them): {_shown(arriving)}"
                )
            unnamed = f"; {len(unclaimed)} file(s) claimed by no contract: {_shown(unclaimed)}" if unclaimed else ""
            return SkipReason(f"no new partner file in landing{unnamed}")
        context.update_cursor(json.dumps({"requested": current, "seen": current}))
        run_key = hashlib.sha256(json.dumps({p: current[p] for p in new}).encode()).hexdigest()[:16]
        return RunRequest(run_key=run_key, tags={"abord/new_files": str(len(new))})

    return _sensor
