"""The hospital's extract as a FHIR R4 bulk export: each month landing/health/Encounter_<YYYY-MM>.ndjson, one
Encounter a line, with Patient_<YYYY-MM>.ndjson beside it holding the patients they refer to.

The same encounters as the CSV file, from the same builder (its rows, in its order, under its encounter ids), in
the FHIR terms contracts/fhir/health_encounters.yml reads back: a Patient per identity the hospital holds (a
person's duplicate record is another Patient, as in the CSV), with the NIR as an INS-NIR identifier when the
hospital has it. No broken rows are slipped in: the export is the valid world, so both paths load the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from pipelines.sample.invalid import Row

NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.8"
SNOMED = "http://snomed.info/sct"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
# the CSV's words -> FHIR codes; read back by contracts/fhir/health_encounters.yml
GENDERS = {"M": "male", "F": "female"}
CLASSES = {"urgence": "EMER", "hospitalisation": "IMP"}
SERVICES = {"psychiatrie": "394587001", "general": "394802001"}  # SNOMED CT psychiatry, general medicine
DISPOSITIONS = {"domicile": "home", "deces": "exp", "transfert": "other-hcf"}  # FHIR has no PMSI mutation


def export_path(out_dir: Path, period: str) -> Path:
    return out_dir / "landing" / "health" / f"Encounter_{period}.ndjson"


def patient_path(path: Path) -> Path:
    """The Patient file beside an export's Encounter file."""
    return path.with_name(path.name.replace("Encounter", "Patient", 1))


def _patient(patient_id: str, row: Row) -> dict:
    patient: dict = {"resourceType": "Patient", "id": patient_id}
    if row["nir"]:
        patient["identifier"] = [{"system": NIR_SYSTEM, "value": row["nir"]}]
    patient["name"] = [{"family": row["family_name"], "given": row["given_name"].split(" ")}]
    patient["gender"] = GENDERS[row["sex"]]
    patient["birthDate"] = row["birth_date"]
    return patient


def _encounter(row: Row, patient_id: str) -> dict:
    encounter: dict = {
        "resourceType": "Encounter",
        "id": row["encounter_id"],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": CLASSES[row["encounter_type"]]},
        "serviceType": {"coding": [{"system": SNOMED, "code": SERVICES[row["service"]]}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "period": {"start": row["admission_date"]} | ({"end": row["discharge_date"]} if row["discharge_date"] else {}),
    }
    if row["discharge_mode"]:
        coding = [{"system": DISPOSITION, "code": DISPOSITIONS[row["discharge_mode"]]}]
        encounter["hospitalization"] = {"dischargeDisposition": {"coding": coding}}
    return encounter


def _line(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")) + "\n"


def write_fhir_export(path: Path, rows: Iterable[tuple[Row, str | None]], link: Callable[[str, str], None]) -> int:
    """The export of `rows` (the CSV's valid rows with their persons) at `path`; `link(record id, person)` is told
    of every encounter. Returns the number of encounters."""
    patients: dict[tuple, str] = {}  # the identity as the hospital holds it -> its Patient id
    count = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        path.open("w", encoding="utf-8", newline="\n") as encounters,
        patient_path(path).open("w", encoding="utf-8", newline="\n") as out,
    ):
        for row, person in rows:
            identity = (person, row["family_name"], row["given_name"], row["birth_date"], row["nir"], row["sex"])
            patient_id = patients.get(identity)
            if patient_id is None:
                patient_id = patients[identity] = f"pat{len(patients) + 1:07d}"
                out.write(_line(_patient(patient_id, row)))
            encounters.write(_line(_encounter(row, patient_id)))
            if person is not None:
                link(row["encounter_id"], person)
            count += 1
    return count
