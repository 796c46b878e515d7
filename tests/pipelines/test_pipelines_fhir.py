"""The built-in `fhir` contract variant: a hospital's FHIR R4 bulk export read into the CSV health contract's terms."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import psycopg

from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext, ingest_source
from pipelines.pipeline import ensure_raw_tables
from pipelines.raw_tables import raw_columns
from pipelines.readers import read_rows
from pipelines.sample.config import load_config
from pipelines.sample.generate import generate
from pipelines.validation import validate_row
from tests.conftest import create_database

CSV = load_contracts(variants=())["health_encounters"]
FHIR = load_contracts(variants=("fhir",))["health_encounters"]
SNOMED = "http://snomed.info/sct"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
NIR = "urn:oid:1.2.250.1.213.1.4.8"


def _encounter(number: int, klass: str, service: str | None, disposition: str | None) -> dict:
    encounter = {
        "resourceType": "Encounter",
        "id": f"e{number}",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": klass},
        "subject": {"reference": "Patient/p1"},
        "period": {"start": "2025-11-02T09:30:00+01:00", "end": "2025-11-09"},
    }
    if service:
        encounter["serviceType"] = {"coding": [{"system": SNOMED, "code": service}]}
    if disposition:
        coding = [{"system": DISPOSITION, "code": disposition}]
        encounter["hospitalization"] = {"dischargeDisposition": {"coding": coding}}
    return encounter


def _export(folder: Path, gender: str, encounters: list[dict]) -> Path:
    folder.mkdir(parents=True)
    patient = {
        "resourceType": "Patient",
        "id": "p1",
        "gender": gender,
        "birthDate": "1971-03-08",
        "name": [{"family": "Durand", "given": ["Luc"]}],
        "identifier": [{"system": NIR, "value": "171037512345690"}],
    }
    (folder / "Patient_2025-11.ndjson").write_text(json.dumps(patient) + "\n", encoding="utf-8")
    path = folder / "Encounter_2025-11.ndjson"
    path.write_text("".join(json.dumps(e) + "\n" for e in encounters), encoding="utf-8")
    return path


def _stored(row: dict) -> tuple[list[str], dict[str, object]]:
    """The problem codes and the values by raw column name, as the CSV contract names them."""
    values, problems = validate_row(row, FHIR, date(2026, 1, 31))
    return [p.code for p in problems], {c.target: values.get(c.name) for c in FHIR.columns if c.stored}


def test_the_fhir_variant_feeds_the_csv_health_contracts_raw_table() -> None:
    assert FHIR.format.type == "fhir" and FHIR.load == CSV.load
    assert raw_columns(FHIR) == raw_columns(CSV)
    allowed = {c.target: c.allowed for c in CSV.columns if c.stored}
    assert {c.target: c.allowed for c in FHIR.columns if c.stored} == allowed
    assert [(c.role, c.required) for c in FHIR.columns] == [(c.role, c.required) for c in CSV.columns]


def test_fhir_codes_arrive_as_the_csv_contracts_values(tmp_path: Path) -> None:
    path = _export(
        tmp_path / "health",
        "female",
        [
            _encounter(1, "IMP", "394587001", "exp"),  # died in a psychiatric stay
            _encounter(2, "EMER", None, "home"),
            _encounter(3, "IMP", "394802001", "rehab"),
            _encounter(4, "ACUTE", None, "oth"),  # a disposition that says nothing: empty, as in the CSV
            _encounter(5, "AMB", None, None),  # a consultation: no encounter of this source
        ],
    )

    read = [_stored(row) for _, row in read_rows(path, FHIR)]

    assert [problems for problems, _ in read] == [[], [], [], [], ["not_allowed"]]
    assert [(v["sex"], v["encounter_type"], v["service"], v["discharge_mode"]) for _, v in read[:4]] == [
        ("F", "hospitalisation", "psychiatrie", "deces"),
        ("F", "urgence", None, "domicile"),
        ("F", "hospitalisation", "general", "transfert"),
        ("F", "hospitalisation", None, None),
    ]
    assert (read[0][1]["admission_date"], read[0][1]["discharge_date"]) == (date(2025, 11, 2), date(2025, 11, 9))


def test_a_fhir_gender_the_csv_cannot_hold_is_left_empty_not_quarantined(tmp_path: Path) -> None:
    path = _export(tmp_path / "health", "unknown", [_encounter(1, "EMER", None, None)])

    [(problems, values)] = [_stored(row) for _, row in read_rows(path, FHIR)]

    assert problems == [] and values["sex"] is None


class _NoRedaction:
    def redact_many(self, texts, names):
        return texts


def _loaded(url: str, contract, landing: Path, quarantine: Path) -> list[tuple]:
    contracts = {contract.name: contract}
    ensure_raw_tables(url, contracts)
    ctx = IngestContext(url, bytes(range(32)), quarantine, contracts, _NoRedaction)
    summaries = ingest_source(ctx, contract, landing)
    assert summaries and all(s.status == "loaded" for s in summaries)
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select record_ref, person_key, birth_year, sex, encounter_type, service, admission_date,"
            " discharge_date, discharge_mode from raw.health_encounters order by 1"
        ).fetchall()


def test_a_fhir_sample_loads_the_same_encounters_as_the_csv_sample_of_its_seed(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "fhir.yml"
    config.write_text("formats: {health: fhir}\n")
    generate(tmp_path / "csv", persons=60, seed=5, months=2)
    generate(tmp_path / "fhir", persons=60, seed=5, months=2, config=load_config(config))

    from_csv = _loaded(warehouse_url, CSV, tmp_path / "csv" / "landing", tmp_path / "q_csv")
    from_fhir = _loaded(create_database(pg_admin_url), FHIR, tmp_path / "fhir" / "landing", tmp_path / "q_fhir")

    assert len(from_fhir) == len(from_csv) > 100
    # the same records with the same classes, services, dates and discharge modes...
    assert [(row[0], *row[2:]) for row in from_fhir] == [(row[0], *row[2:]) for row in from_csv]
    assert {row[8] for row in from_fhir} == {"domicile", "deces"}
    assert {row[4] for row in from_fhir} == {"urgence", "hospitalisation"}
    # ...linked into the same persons (each warehouse draws its own person keys)
    assert _persons(from_fhir) == _persons(from_csv)


def _persons(rows: list[tuple]) -> set[frozenset[str]]:
    """The records of each person key."""
    by_key: dict[str, set[str]] = {}
    for row in rows:
        by_key.setdefault(row[1], set()).add(row[0])
    return {frozenset(records) for records in by_key.values()}
