"""FHIR R4 bulk data (NDJSON): one resource per line, e.g. Encounter_2025-12.ndjson with Patient_2025-12.ndjson
beside it. A row is one resource of the contract's `format.resource`; its subject's Patient resource is joined in.

Column names are small FHIR paths: `Encounter.period.start`, `Patient.name.family`, `Patient.name.given` (a list of
strings is joined by spaces), `Patient.identifier[system=urn:oid:1.2.250.1.213.1.4.8].value` (a list element by
one of its fields); any other list gives its first element holding the rest of the path (`Patient.name.family`: the
first name with a family name, past a `{"use": "usual", "text": ...}` one). Date columns keep the date of a dateTime.
A value holding a NUL character (JSON's \\u0000; a raw NUL byte is invalid JSON already) makes its row unreadable:
the warehouse cannot store it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import Contract
from pipelines.readers.bytes_checks import check_start, undecodable
from pipelines.readers.errors import NUL_ESCAPE, FileRejected, Row, RowUnreadable, nul_row

PATH_DOT = re.compile(r"\.(?![^\[]*\])")  # a dot between steps, not one inside [system=urn:oid:1.2.250...]
STEP = re.compile(r"^(\w+)(?:\[(\w+)=([^\]]+)\])?$")


def _resolve(resource: dict, steps: list[str]) -> object:
    value: object = resource
    for index, step in enumerate(steps):
        match = STEP.match(step)
        if match is None or not isinstance(value, dict):
            return None
        name, key, wanted = match.groups()
        value = value.get(name)
        if isinstance(value, list) and key:
            value = next((v for v in value if isinstance(v, dict) and str(v.get(key)) == wanted), None)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            # the first element holding the rest of the path: a Patient's first name may be a text-only one
            rest = steps[index + 1 :]
            return next((found for v in value if (found := _resolve(v, rest)) is not None), None)
    if isinstance(value, list):
        value = " ".join(str(v) for v in value if isinstance(v, str)) or None
    return None if value is None or isinstance(value, dict) else str(value)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    check_start(path, "utf-8")
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for line_number, line in enumerate(handle, start=1):
                if line.strip():
                    yield line_number, line
    except UnicodeDecodeError:
        raise undecodable(path, "utf-8") from None


def _patients(path: Path) -> tuple[dict[str, dict], set[str]]:
    """The export's patients by reference, and the references of those whose line may hold a NUL character."""
    if not path.is_file():
        raise FileRejected("missing_patients", f"{path.name}: the Patient file of this bulk export is missing")
    patients, nul = {}, set()
    for line_number, line in _lines(path):
        try:
            patient = json.loads(line)
        except json.JSONDecodeError:
            raise FileRejected("invalid_json", f"{path.name}: line {line_number} is not valid JSON") from None
        if isinstance(patient, dict) and patient.get("resourceType") == "Patient" and patient.get("id"):
            patients[f"Patient/{patient['id']}"] = patient
            if NUL_ESCAPE in line:
                nul.add(f"Patient/{patient['id']}")
    return patients, nul


def patient_file(path: Path, contract: Contract) -> Path:
    """The export's Patient file beside its file of the contract's resource: Patient_2025-12.ndjson beside
    Encounter_2025-12.ndjson."""
    return path.with_name(path.name.replace(contract.format.resource or "Encounter", "Patient", 1))


def read_fhir(path: Path, contract: Contract) -> Iterator[tuple[int, Row | RowUnreadable]]:
    resource_type = contract.format.resource or "Encounter"
    paths = {c.name: PATH_DOT.split(c.name) for c in contract.columns}
    bad = sorted(name for name, steps in paths.items() if steps[0] not in (resource_type, "Patient"))
    if bad:
        raise FileRejected("bad_fhir_path", f"{path.name}: column(s) {', '.join(bad)} are not {resource_type}.* paths")
    dates = {c.name for c in contract.columns if c.type == "date" or c.role == "birth_date"}
    patients, nul_patients = _patients(patient_file(path, contract))
    for number, (line_number, line) in enumerate(_lines(path), start=1):
        try:
            resource = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RowUnreadable("invalid_json", f"line {line_number}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
            yield number, RowUnreadable("wrong_resource", f"line {line_number}: not a {resource_type} resource")
            continue
        subject = _resolve(resource, ["subject", "reference"])
        patient = patients.get(subject or "")
        if patient is None and any(steps[0] == "Patient" for steps in paths.values()):
            yield (
                number,
                RowUnreadable("unknown_patient", f"line {line_number}: its subject is not in the Patient file"),
            )
            continue
        row: Row = {}
        for name, steps in paths.items():
            value = _resolve(resource if steps[0] == resource_type else patient, steps[1:])
            row[name] = value[:10] if value and name in dates else value
        if NUL_ESCAPE in line or subject in nul_patients:  # a substring test in C; the values only when it hits
            nul = [name for name, value in row.items() if value and "\x00" in value]
            if nul:
                yield number, nul_row(f"line {line_number}", nul)
                continue
        yield number, row
