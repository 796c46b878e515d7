"""Formats other than CSV, each through a contract into a real PostgreSQL: XLSX, FHIR bulk NDJSON, a SQL table."""

from __future__ import annotations

import io
import json
import os
import random
import re
import string
import zipfile
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from openpyxl import Workbook
from typer.testing import CliRunner

import pipelines.readers.xlsx as xlsx
import pipelines.sql_pull as sql_pull
from orchestration import cli_pipelines
from orchestration.cli import app
from pipelines import ingest
from pipelines.contract import load_contract
from pipelines.ingest import IngestContext, ingest_file
from pipelines.ledger import sha256_of
from pipelines.pipeline import ensure_raw_tables
from pipelines.retry import retry_quarantine
from pipelines.sql_pull import SqlSourceError, pull_table
from pipelines.warehouse import sqlalchemy_url
from tests.conftest import create_database
from tests.pipelines.file_mishaps import write_over_while_read

CONTRACT = """
name: landlord_rents
partner: landlord
file_pattern: "landlord/loyers_*.xlsx"
period_pattern: "_(\\\\d{4}-\\\\d{2})\\\\.xlsx$"
format: {type: xlsx, sheet: Loyers, date_format: "%d/%m/%Y", decimal: ","}
columns:
  - {name: id_bail, role: record_id, required: true, unique: true}
  - {name: site, type: text, required: true, as: site}
  - {name: date_debut, type: date, required: true, as: start_date}
  - {name: loyer, type: decimal, as: monthly_rent, min: 0}
  - {name: pieces, type: integer, as: rooms}
"""
HEADER = ["id_bail", "site", "date_debut", "loyer", "pieces", "commentaire"]


@pytest.fixture
def contract(tmp_path: Path):
    path = tmp_path / "landlord_rents.yml"
    path.write_text(CONTRACT)
    return load_contract(path)


@pytest.fixture
def ctx(contract_context) -> IngestContext:
    return contract_context


def _loaded_and_reasons(ctx: IngestContext, query: str) -> tuple[list[tuple], list[tuple]]:
    """The raw rows `query` selects, and each rejection's (source row, reason code)."""
    with psycopg.connect(ctx.url) as conn:
        loaded = conn.execute(query).fetchall()
        return loaded, conn.execute("select source_row, reason_code from audit.rejections order by 1, 2").fetchall()


def _workbook(path: Path, rows: list[list], sheet: str = "Loyers", header: list[str] = HEADER) -> Path:
    book = Workbook()
    book.active.title = "Notice"
    book.active.append(["exported by the landlord's software"])
    data = book.create_sheet(sheet)
    data.append(header)
    for row in rows:
        data.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def test_a_named_sheet_loads_with_typed_cells(ctx: IngestContext, contract, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "loyers_2025-12.xlsx",
        [
            ["L1", "Lyon", datetime(2023, 5, 1), 452.3, 3, "ok"],  # Excel row 2: the header is row 1
            ["L2", "Grenoble", "01/06/2024", "380,50", 2.0, None],  # a date and a rent typed as text
            [None, None, None, None, None, None],  # row 4, a formatted empty row, is no row
            ["L3", "Lyon", datetime(2023, 5, 1, 14, 30), -5, 1, None],  # a negative rent
            ["L4", "Lyon", datetime(2024, 1, 1), 400, 2.5, None],
            ["L5", "Lyon", datetime(2024, 2, 1, 9, 30), 400, 2, None],  # a date cell showing a time of day too
        ],
    )
    summary = ingest_file(ctx, contract, path)
    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 5, 3, 2)
    loaded, reasons = _loaded_and_reasons(
        ctx, "select site, start_date, monthly_rent, rooms from raw.landlord_rents order by 2"
    )
    assert loaded == [
        ("Lyon", date(2023, 5, 1), Decimal("452.3"), 3),
        ("Lyon", date(2024, 2, 1), Decimal("400"), 2),
        ("Grenoble", date(2024, 6, 1), Decimal("380.50"), 2),
    ]
    # source rows are the sheet's row numbers, as Excel shows them beside the cells
    assert reasons == [(5, "out_of_range"), (6, "invalid_integer")]
    quarantine = ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv"
    assert [line.split(",")[0] for line in quarantine.read_text().splitlines()[1:]] == ["5", "6"]


def test_excel_row_numbers_hold_across_rows_never_written(ctx: IngestContext, contract, tmp_path: Path) -> None:
    """A row Excel never wrote (no <row> element: rows 3 and 4 here) still counts, as it does on screen."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Loyers"
    sheet.append(HEADER)
    sheet.append(["L1", "Lyon", datetime(2023, 5, 1), 452.3, 3, None])
    for column, value in enumerate(["L2", "Lyon", "2023-05-01", 1, 1], start=1):  # C5 (ISO text) is the bad cell
        sheet.cell(row=5, column=column, value=value)
    path = tmp_path / "loyers_2025-12.xlsx"
    book.save(path)
    summary = ingest_file(ctx, contract, path)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == (2, 1, 1)
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select source_row, reason_code from audit.rejections").fetchall() == [(5, "invalid_date")]


def _with_nul(path: Path) -> Path:
    """A workbook whose cell holds a NUL character, as a broken export writes it: &#0; in the XML."""
    _workbook(path, [["L1", "Ly_NUL_on", datetime(2023, 5, 1), 1, 1, None]])
    source = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            new.writestr(item, old.read(item).replace(b"_NUL_", b"&#0;"))
    return path


def _with_styles(path: Path, pattern: bytes, replacement: bytes) -> Path:
    """A workbook whose stylesheet (xl/styles.xml) has what `pattern` matches replaced, as a broken export writes it."""
    _workbook(path, [["L1", "Lyon", datetime(2023, 5, 1), 1, 1, None]])
    source = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(source)) as book, zipfile.ZipFile(path, "w") as rewritten:
        for item in book.infolist():
            data = book.read(item)
            if item.filename == "xl/styles.xml":
                data, replaced = re.subn(pattern, replacement, data)
                assert replaced
            rewritten.writestr(item, data)
    return path


def _rents(path: Path, seed: int, rows: int = 3000) -> Path:
    """A workbook of `rows` rents whose sheet, compressed, is read in many pieces (its comments vary)."""
    rnd = random.Random(seed)
    comments = ["".join(rnd.choices(string.ascii_letters, k=30)) for _ in range(rows)]
    return _workbook(path, [[f"L{i}", "Lyon", datetime(2024, 1, 1), 400, 2, c] for i, c in enumerate(comments)])


def _with_damaged(path: Path, part: str | None = None) -> Path:
    """A workbook whose compressed bytes were damaged in transfer, midway through `part` (None: its sheet of rents)."""
    _rents(path, 1)
    with zipfile.ZipFile(path) as book:
        # the rents' sheet is the largest part, the notice's is small
        item = book.getinfo(part) if part else max(book.infolist(), key=lambda item: item.compress_size)
    data = bytearray(path.read_bytes())
    middle = item.header_offset + 30 + len(item.filename) + len(item.extra) + item.compress_size // 2
    data[middle : middle + 4] = b"\xff" * 4
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("make", "code", "message"),
    [
        (
            lambda p: _workbook(p, [["L1", "Lyon"]], sheet="Feuil1"),
            "missing_sheet",
            "no sheet 'Loyers' (sheets: Notice",
        ),
        (
            lambda p: _workbook(p, [], header=["id_bail", "site", "debut", "loyer", "pieces"]),
            "missing_column",
            "date_debut",
        ),
        (lambda p: p.write_bytes(b"PK\x03\x04not really a zip"), "not_xlsx", "not a readable XLSX workbook"),
        (  # an OLE2 compound file: an .xls renamed .xlsx, or a workbook saved with a password (encrypted)
            lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)),
            "not_xlsx",
            "an Excel 97-2003 (.xls) workbook or a password-protected one",
        ),
        (lambda p: _workbook(p, [], header=[]), "empty_file", "sheet 'Loyers' is empty"),
        (_with_nul, "malformed_xlsx", "not well-formed XML (reference to invalid character number"),
        (_with_damaged, "malformed_xlsx", "sheet 'Loyers': its compressed data is damaged or cut off"),
        (  # a part read as the workbook opens
            lambda p: _with_damaged(p, "xl/styles.xml"),
            "malformed_xlsx",
            "loyers_2025-12.xlsx: its compressed data is damaged or cut off",
        ),
        (  # a number format without its code, as a broken export writes one: openpyxl raised a TypeError
            lambda p: _with_styles(p, rb'(<numFmt [^>]*)formatCode="[^"]*"', rb"\1"),
            "malformed_xlsx",
            "its stylesheet is malformed",
        ),
        (
            lambda p: _with_styles(p, rb'<color theme="1"', b'<color theme="dark"'),  # a theme colour by name
            "malformed_xlsx",
            "its stylesheet is malformed",
        ),
    ],
)
def test_an_unusable_workbook_is_rejected_by_name(ctx: IngestContext, contract, tmp_path: Path, make, code, message):
    path = tmp_path / "loyers_2025-12.xlsx"
    make(path)
    summary = ingest_file(ctx, contract, path)
    assert summary.status == "rejected" and summary.message.startswith(path.name) and message in summary.message
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select reason_code from audit.rejections").fetchall() == [(code,)]


def test_a_workbook_sent_again_while_it_is_read_loads_nothing(ctx: IngestContext, contract, tmp_path, monkeypatch):
    """A partner's upload writing over the workbook under its name (sftp) while a batch read it: the sheet's
    compressed data ended midway, and an EOFError stopped the run, where a file changed while read records nothing
    and is read again once it stands still (pipelines/arrival.py)."""
    path = _rents(tmp_path / "loyers_2025-12.xlsx", 1)
    sent_again = _rents(tmp_path / "sent_again.xlsx", 2).read_bytes()
    write_over_while_read(monkeypatch, sent_again)
    summary = ingest_file(ctx, contract, path)
    assert summary.status == "changed" and "changed while it was read" in summary.message
    assert _loaded_and_reasons(ctx, "select batch_id from audit.batches") == ([], [])
    monkeypatch.undo()
    path.write_bytes(sent_again)
    assert ingest_file(ctx, contract, path).rows_loaded == 3000, "once whole, read whole"


@pytest.mark.parametrize("name", ["loyers_2025-12.xls", "loyers_2025-12.xlsx.tmp", "loyers_2025-12"])
def test_a_workbook_is_read_by_its_contents_whatever_its_name(ctx: IngestContext, contract, tmp_path, name) -> None:
    """A workbook renamed (or received) without an .xlsx-type extension, ingested by hand or by a contract whose
    period pattern does not name one: openpyxl refused it by its name, and the traceback stopped the run."""
    contract = replace(contract, period_pattern=r"_(\d{4}-\d{2})")
    path = _workbook(tmp_path / name, [["L1", "Lyon", datetime(2023, 5, 1), 452.3, 3, None]])
    summary = ingest_file(ctx, contract, path)
    assert (summary.status, summary.rows_loaded) == ("loaded", 1)
    text = path.with_name("loyers_2025-12.txt")
    text.write_text("id_bail;site\r\nL1;Lyon\r\n")  # a CSV given as a workbook is still rejected by name
    summary = ingest_file(ctx, contract, text)
    assert summary.status == "rejected" and summary.message.startswith(f"{text.name}: not a readable XLSX workbook")


FHIR_CONTRACT = """
name: health_fhir_encounters
partner: health
file_pattern: "health/Encounter_*.ndjson"
period_pattern: "_(\\\\d{4}-\\\\d{2})\\\\.ndjson$"
format: {type: fhir, resource: Encounter}
columns:
  - {name: Encounter.id, role: record_id, required: true, unique: true}
  - {name: Patient.name.family, role: family_name}
  - {name: Patient.name.given, role: given_name}
  - {name: Patient.birthDate, role: birth_date}
  - {name: "Patient.identifier[system=urn:oid:1.2.250.1.213.1.4.8].value", role: nir}
  - {name: Patient.gender, as: sex, allowed: [male, female, other, unknown]}
  - {name: Encounter.class.code, required: true, as: encounter_class, allowed: [EMER, IMP, AMB]}
  - {name: Encounter.period.start, type: date, required: true, as: admission_date}
  - {name: Encounter.period.end, type: date, as: discharge_date}
  - name: Encounter.hospitalization.dischargeDisposition.coding.code
    as: discharge_mode
    allowed: [home, alt-home, other-hcf, hosp, long, aadvice, exp, psy, rehab, snf, oth]
rules:
  - {column: Encounter.period.end, not_before: Encounter.period.start}
"""
PATIENTS = [
    {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1980-04-12",
     "name": [{"family": "Dupont", "given": ["Marie", "Hélène"]}],
     "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.10", "value": "x"},
                    {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "280047512345678"}]},
    {"resourceType": "Patient", "id": "p2", "gender": "male", "birthDate": "1975-06-01",
     "name": [{"family": "Martin", "given": ["Paul"]}]},
]  # fmt: skip
ENCOUNTERS = [
    {"resourceType": "Encounter", "id": "e1", "class": {"code": "EMER"}, "subject": {"reference": "Patient/p1"},
     "period": {"start": "2024-01-03T22:10:00+01:00", "end": "2024-01-04T03:00:00+01:00"}},
    {"resourceType": "Encounter", "id": "e2", "class": {"code": "IMP"}, "subject": {"reference": "Patient/p1"},
     "period": {"start": "2024-02-01", "end": "2024-02-11"},
     "hospitalization": {"dischargeDisposition": {"coding": [
         {"system": "http://terminology.hl7.org/CodeSystem/discharge-disposition", "code": "exp"}]}}},
    {"resourceType": "Encounter", "id": "e3", "class": {"code": "EMER"}, "subject": {"reference": "Patient/p9"},
     "period": {"start": "2024-03-01"}},
    {"resourceType": "Observation", "id": "o1"},
    {"resourceType": "Encounter", "id": "e4", "class": {"code": "IMP"}, "subject": {"reference": "Patient/p2"},
     "period": {"start": "2024-03-10", "end": "2024-03-01"}},
]  # fmt: skip


def _ndjson(path: Path, resources: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in resources), encoding="utf-8")
    return path


def _fhir_setup(warehouse_url: str, tmp_path: Path) -> tuple:
    """The FHIR contract, an ingestion context with its raw table, and the export's landing folder."""
    contract_file = tmp_path / "health_fhir_encounters.yml"
    contract_file.write_text(FHIR_CONTRACT)
    contract = load_contract(contract_file)
    ensure_raw_tables(warehouse_url, {contract.name: contract})
    ctx = IngestContext(warehouse_url, bytes(range(32)), tmp_path / "q", {contract.name: contract}, lambda: None)
    return contract, ctx, tmp_path / "landing" / "health"


def test_a_fhir_bulk_export_loads_encounters_with_their_patients(warehouse_url: str, tmp_path: Path) -> None:
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    _ndjson(export / "Patient_2025-12.ndjson", PATIENTS)
    path = _ndjson(export / "Encounter_2025-12.ndjson", ENCOUNTERS)

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 5, 2, 3)
    loaded, reasons = _loaded_and_reasons(
        ctx,
        "select person_key, birth_year, sex, encounter_class, admission_date, discharge_date, discharge_mode"
        " from raw.health_fhir_encounters order by source_row",
    )
    assert [row[1:] for row in loaded] == [  # e2's patient died in the stay: disposition 'exp' (expired)
        (1980, "female", "EMER", date(2024, 1, 3), date(2024, 1, 4), None),
        (1980, "female", "IMP", date(2024, 2, 1), date(2024, 2, 11), "exp"),
    ]
    assert loaded[0][0] == loaded[1][0], "two encounters of one patient share a person key"
    assert reasons == [(3, "unknown_patient"), (4, "wrong_resource"), (5, "date_order")]

    orphan = _ndjson(tmp_path / "other" / "Encounter_2025-11.ndjson", ENCOUNTERS[:1])
    rejected = ingest_file(ctx, contract, orphan)
    assert rejected.status == "rejected" and "Patient_2025-11.ndjson: the Patient file" in rejected.message


def test_a_fhir_partial_birth_date_loads_with_its_year_and_links_by_what_remains(
    warehouse_url: str, tmp_path: Path
) -> None:
    """birthDate "1980" or "1975-06" is valid FHIR and all the hospital holds: the whole encounter was quarantined as
    'not a plausible birth date', which no steward can fix. Its year is kept; the NIR still links the person."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    nir = [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "280047512345658"}]
    whole = {**PATIENTS[0], "identifier": nir}
    year_only = {**whole, "id": "p3", "birthDate": "1980"}  # the same patient, at another of the hospital's sites
    month_only = {
        **PATIENTS[1],
        "id": "p4",
        "birthDate": "1975-06",
        "identifier": [{**nir[0], "value": "175067512345694"}],
    }
    no_nir = {**PATIENTS[1], "id": "p5", "birthDate": "1975-06"}  # nothing left to link by
    future = {**PATIENTS[1], "id": "p6", "birthDate": "2099-01"}
    _ndjson(export / "Patient_2025-12.ndjson", [whole, year_only, month_only, no_nir, future])
    visits = [{**ENCOUNTERS[1], "id": f"e{p}", "subject": {"reference": f"Patient/{p}"}} for p in "p3 p4 p5 p6".split()]
    path = _ndjson(export / "Encounter_2025-12.ndjson", [ENCOUNTERS[0], *visits])

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 5, 3, 2)
    loaded, reasons = _loaded_and_reasons(
        ctx, "select source_row, person_key, birth_year from raw.health_fhir_encounters order by source_row"
    )
    assert [(row, year) for row, _, year in loaded] == [(1, 1980), (2, 1980), (3, 1975)]
    assert loaded[0][1] == loaded[1][1], "the NIR links the year-only record to its person"
    assert loaded[2][1] not in (None, loaded[0][1])
    assert reasons == [(4, "no_identifier"), (5, "invalid_date")]
    messages = (ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv").read_text()
    assert "'2099-01' is not a plausible birth date" in messages
    # the steward is told why the names did not do: the partial date, never quoted
    partial = "no usable identifier to recognise the person (its birth date is only a year, or a year and month: "
    (why,) = [line for line in messages.splitlines() if "no usable identifier" in line]
    assert partial in why and "'1975-06'" not in why


def test_a_fhir_patients_names_are_read_past_a_text_only_one(warehouse_url: str, tmp_path: Path) -> None:
    """A Patient's `name` list may open with a name holding only `text` (a usual name as displayed) before the
    official one: the first element was taken, family and given read empty, and the patient linked by nothing."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    names = [{"use": "usual", "text": "Marie Dupont"}, *PATIENTS[0]["name"], {"use": "maiden", "family": "Roux"}]
    displayed_first = {**PATIENTS[0], "id": "p3", "identifier": [], "name": names}
    _ndjson(export / "Patient_2025-12.ndjson", [{**PATIENTS[0], "identifier": []}, displayed_first])
    visit = {**ENCOUNTERS[1], "id": "e9", "subject": {"reference": "Patient/p3"}}
    path = _ndjson(export / "Encounter_2025-12.ndjson", [ENCOUNTERS[0], visit])

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 2, 0)
    loaded, _ = _loaded_and_reasons(ctx, "select person_key from raw.health_fhir_encounters order by source_row")
    assert loaded[0] == loaded[1], "the official name and birth date link both records to one person"


def test_a_fhir_value_holding_a_nul_makes_its_row_unreadable(warehouse_url: str, tmp_path: Path) -> None:
    """JSON writes a NUL character as \\u0000; PostgreSQL text cannot hold one (the load failed on COPY)."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    broken = {**PATIENTS[0], "name": [{"family": "Du\x00pont", "given": ["Marie"]}]}
    _ndjson(export / "Patient_2025-12.ndjson", [broken, PATIENTS[1]])
    second = {**ENCOUNTERS[4], "id": "e5", "period": {"start": "2024-03-10"}}
    path = _ndjson(
        export / "Encounter_2025-12.ndjson",
        [ENCOUNTERS[0], second, {**second, "id": "e6", "class": {"code": "IM\x00P"}}],
    )
    assert "\\u0000" in path.read_text()

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 3, 1, 2)
    with psycopg.connect(ctx.url) as conn:
        reasons = conn.execute("select source_row, reason_code from audit.rejections order by 1").fetchall()
    assert reasons == [(1, "nul_byte"), (3, "nul_byte")]
    messages = (ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv").read_text()
    assert "line 1: Patient.name.family holds a NUL character" in messages
    assert "line 3: Encounter.class.code holds a NUL character" in messages


def test_a_fhir_batch_is_known_by_its_patient_file_too(warehouse_url: str, tmp_path: Path) -> None:
    """The ledger knew an export by its Encounter file alone: a Patient file copied after it was never read (the
    export stayed `already_rejected`), nor a corrected one re-sent alone (`already_loaded`)."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    path = _ndjson(export / "Encounter_2025-12.ndjson", ENCOUNTERS)
    assert ingest_file(ctx, contract, path).status == "rejected"  # its Patient file is still to come
    patients = _ndjson(export / "Patient_2025-12.ndjson", PATIENTS)
    first = ingest_file(ctx, contract, path)
    assert (first.status, first.rows_loaded) == ("loaded", 2)

    _ndjson(patients, [*PATIENTS, {**PATIENTS[1], "id": "p9"}])  # the hospital adds e3's patient
    corrected = ingest_file(ctx, contract, path)

    assert (corrected.status, corrected.rows_loaded, corrected.replaced) == ("loaded", 3, (first.batch_id,))
    quarantine = ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv"
    assert "unknown_patient" not in quarantine.read_text()
    assert ingest_file(ctx, contract, path).status == "already_loaded"
    _ndjson(patients, PATIENTS)  # the first Patient file, copied again late, does not undo the correction
    assert ingest_file(ctx, contract, path).status == "already_loaded"
    # the month's rows to fix are retried as any source's: its quarantine file is all they read
    quarantine.write_text(quarantine.read_text().replace("2024-03-10,2024-03-01", "2024-03-10,2024-03-11"))
    retried = retry_quarantine(ctx, quarantine)
    assert (retried.status, retried.rows_loaded, retried.rows_quarantined) == ("loaded", 1, 1)


def test_a_fhir_patient_file_still_being_copied_while_read_loads_nothing(warehouse_url, tmp_path, monkeypatch) -> None:
    """Its batch read the first patient only (e4's unknown), under a sha256 of that half: it records nothing."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    patients = _ndjson(export / "Patient_2025-12.ndjson", PATIENTS[:1])
    path = _ndjson(export / "Encounter_2025-12.ndjson", ENCOUNTERS)
    real = ingest.read_rows

    def copy_goes_on(extract: Path, contract, *lacking):
        for number, row in real(extract, contract, *lacking):
            yield number, row
            if number == 1:
                _ndjson(patients, PATIENTS)

    monkeypatch.setattr(ingest, "read_rows", copy_goes_on)
    summary = ingest_file(ctx, contract, path)
    assert summary.status == "changed" and summary.message.startswith("its Patient_2025-12.ndjson changed while")
    monkeypatch.undo()
    assert _loaded_and_reasons(ctx, "select batch_id from audit.batches") == ([], [])
    assert ingest_file(ctx, contract, path).rows_loaded == 2
    _, reasons = _loaded_and_reasons(ctx, "select batch_id from audit.batches")
    assert reasons == [(3, "unknown_patient"), (4, "wrong_resource"), (5, "date_order")], "once whole, read whole"


def test_a_fhir_month_recorded_by_its_encounter_file_alone_is_replaced_by_the_same_export(
    warehouse_url: str, tmp_path: Path
) -> None:
    """A ledger line from before batches covered the Patient file cannot tell which one it read: the export sent
    again replaces the month, once, with the same rows and person keys."""
    contract, ctx, export = _fhir_setup(warehouse_url, tmp_path)
    _ndjson(export / "Patient_2025-12.ndjson", PATIENTS)
    path = _ndjson(export / "Encounter_2025-12.ndjson", ENCOUNTERS)
    before = ingest_file(ctx, contract, path)
    query = "select source_row, record_ref, person_key from raw.health_fhir_encounters order by source_row"
    rows, _ = _loaded_and_reasons(ctx, query)
    with psycopg.connect(ctx.url) as conn:
        conn.execute("update audit.batches set sha256 = %s", (sha256_of(path),))

    again = ingest_file(ctx, contract, path)

    assert (again.status, again.replaced, again.rows_loaded) == ("loaded", (before.batch_id,), before.rows_loaded)
    assert _loaded_and_reasons(ctx, query)[0] == rows
    assert ingest_file(ctx, contract, path).status == "already_loaded"


SQL_CONTRACT = """
name: partner_stays
partner: health
file_pattern: "health/stays_*.jsonl"
period_pattern: "_(\\\\d{8}T\\\\d{12})\\\\.jsonl$"
load: append
format: {type: sql, table: care.stays, watermark: updated_at, url_env: ABORD_TEST_PARTNER_URL}
columns:
  - {name: stay_id, role: record_id, required: true, unique: true}
  - {name: nom, role: family_name}
  - {name: prenom, role: given_name}
  - {name: naissance, role: birth_date}
  - {name: service, as: service, allowed: [general, psychiatrie]}
  - {name: admitted, type: date, required: true, as: admission_date}
"""


def test_a_partner_table_is_pulled_incrementally_by_its_watermark(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    partner_url = create_database(pg_admin_url)
    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute(
            "create schema care; create table care.stays (stay_id integer primary key, nom text, prenom text,"
            " naissance date, service text, admitted date, updated_at timestamp not null)"
        )
        conn.execute(
            "insert into care.stays values (1, 'Dupont', 'Marie', '1980-04-12', 'general', '2024-01-03',"
            " '2024-01-04 10:00'), (2, 'Martin', 'Paul', '1975-06-01', 'psychiatrie', '2024-02-01',"
            " '2024-02-02 09:30'), (3, 'Roux', 'Léa', '1988-11-23', 'general', '2099-01-01', '2024-02-03 08:00')"
        )
    contract_file = tmp_path / "partner_stays.yml"
    contract_file.write_text(SQL_CONTRACT)
    contract = load_contract(contract_file)
    ensure_raw_tables(warehouse_url, {contract.name: contract})
    ctx = IngestContext(warehouse_url, bytes(range(32)), tmp_path / "q", {contract.name: contract}, lambda: None)
    landing = tmp_path / "landing"

    with pytest.raises(SqlSourceError, match="set ABORD_TEST_PARTNER_URL"):
        pull_table(ctx, contract, landing)
    monkeypatch.setenv("ABORD_TEST_PARTNER_URL", sqlalchemy_url(partner_url))

    first = pull_table(ctx, contract, landing)
    assert (first.status, first.rows_read, first.rows_loaded, first.rows_quarantined) == ("loaded", 3, 2, 1)
    assert first.file_name == "stays_20240203T080000000000.jsonl"
    assert pull_table(ctx, contract, landing).status == "up_to_date"

    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute("insert into care.stays values (4, 'Petit', 'Jean', '1966-02-14', null, '2024-03-01', now())")
    second = pull_table(ctx, contract, landing)
    assert (second.status, second.rows_read, second.rows_loaded) == ("loaded", 1, 1)
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from audit.current_batches").fetchone() == (2,)
        assert conn.execute("select count(*) from raw.partner_stays").fetchone() == (3,)
    assert not list(landing.rglob("*.partial"))

    broken = replace(contract, columns=(*contract.columns, replace(contract.columns[-1], name="discharged")))
    with pytest.raises(SqlSourceError, match="care.stays has no column\\(s\\) discharged"):
        pull_table(ctx, broken, landing)


def _partner_table(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch, ddl: str, rows: str, text: str = SQL_CONTRACT
) -> tuple[object, IngestContext]:
    """A partner database holding care.stays, its URL in the contract's variable; the contract (`text`) and a
    context."""
    partner_url = create_database(pg_admin_url)
    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute(f"create schema care; create table care.stays ({ddl})")
        conn.execute(f"insert into care.stays values {rows}")
    monkeypatch.setenv("ABORD_TEST_PARTNER_URL", sqlalchemy_url(partner_url))
    contract_file = tmp_path / "partner_stays.yml"
    contract_file.write_text(text)
    contract = load_contract(contract_file)
    ensure_raw_tables(warehouse_url, {contract.name: contract})
    return contract, IngestContext(
        warehouse_url, bytes(range(32)), tmp_path / "q", {contract.name: contract}, lambda: None
    )


def test_a_row_without_a_watermark_neither_hides_the_pull_nor_is_lost_silently(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """PostgreSQL sorts NULL last: the pull's high watermark was the NULL row's, so the pull said `up_to_date` and
    dropped every row it had read."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        "stay_id integer, nom text, prenom text, naissance date, service text, admitted date, updated_at timestamp",
        "(1, 'Dupont', 'Marie', '1980-04-12', 'general', '2024-01-03', '2024-01-04 10:00'),"
        " (2, 'Martin', 'Paul', '1975-06-01', 'general', '2024-02-01', null)",
    )

    summary = pull_table(ctx, contract, tmp_path / "landing")

    assert (summary.status, summary.rows_read, summary.rows_loaded) == ("loaded", 1, 1)
    assert summary.file_name == "stays_20240104T100000000000.jsonl"
    assert "1 row(s) of care.stays have no updated_at" in summary.message
    assert "Martin" not in summary.message
    again = pull_table(ctx, contract, tmp_path / "landing")
    assert again.status == "up_to_date" and "1 row(s) of care.stays have no updated_at" in again.message


@pytest.mark.parametrize(
    ("type_", "ahead"),
    [
        ("date", "2052-01-04"),  # a mistyped year
        ("timestamp", "2052-01-04 10:00"),
        ("timestamptz", "2026-01-16 00:30+01"),  # a clock just ahead: tomorrow in Paris, today still in UTC
    ],
)
def test_a_watermark_after_today_refuses_the_pull_until_the_partner_corrects_it(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch, type_: str, ahead: str
) -> None:
    """The row became the pull's bound: every row written after it, with a real watermark, was never pulled."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        STAYS_DDL.format(type_),
        f"{DUPONT}), (2, 'Martin', 'Paul', '1975-06-01', 'general', '2024-02-01', '{ahead}')",
        SQL_CONTRACT.replace("T\\\\d{12}", "(?:T\\\\d{12})?"),  # a date watermark's bound has no time
    )
    ctx.today = date(2026, 1, 15)
    landing = tmp_path / "landing"

    with pytest.raises(SqlSourceError) as refused:
        pull_table(ctx, contract, landing)

    assert str(refused.value).startswith(
        "partner_stays: 1 row(s) of care.stays have updated_at after today, 2026-01-15 (2026-01-15 23:30:00+00:00)"
        if type_ == "timestamptz"
        else f"partner_stays: 1 row(s) of care.stays have updated_at after today, 2026-01-15 ({ahead[:10]}"
    )
    assert "ask the partner to correct care.stays.updated_at on those rows" in str(refused.value)
    assert "Martin" not in str(refused.value)
    assert not [p for p in landing.rglob("*") if p.is_file()]
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,)

    with psycopg.connect(os.environ["ABORD_TEST_PARTNER_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("update care.stays set updated_at = '2026-01-15 22:00+01' where stay_id = 2")  # late today
    pulled = pull_table(ctx, contract, landing)

    assert (pulled.status, pulled.rows_read, pulled.rows_loaded, pulled.rows_quarantined) == ("loaded", 2, 2, 0)
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from raw.partner_stays").fetchone() == (2,)
        assert conn.execute(
            "select count(*) from audit.batches where rows_read <> rows_loaded + rows_quarantined"
        ).fetchone() == (0,)
    assert pull_table(ctx, contract, landing).status == "up_to_date"


def test_a_timestamp_column_read_as_a_date_gives_its_date(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """As a workbook's date-time cell and a FHIR dateTime do: an admission at 09:30 happened on that day."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        "stay_id integer, nom text, prenom text, naissance timestamp, service text, admitted timestamp,"
        " updated_at timestamp",
        "(1, 'Dupont', 'Marie', '1980-04-12 00:00', 'general', '2024-01-03 09:30', '2024-02-02 08:00'),"
        " (2, 'Martin', 'Paul', '1975-06-01 00:00', 'general', '2024-02-01 00:00', '2024-02-02 09:00')",
    )

    summary = pull_table(ctx, contract, tmp_path / "landing")

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 2, 2, 0)
    with psycopg.connect(ctx.url) as conn:
        loaded = conn.execute("select admission_date from raw.partner_stays order by source_row").fetchall()
    assert loaded == [(date(2024, 1, 3),), (date(2024, 2, 1),)]


def test_a_timestamptz_watermark_misses_no_row_when_clocks_go_back(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """The bound was saved as the session's wall-clock time: 02:30 summer time on 26 October 2025, read back as
    02:30 winter time (an hour later), so a row stamped 02:15 winter time, written after the pull, was never pulled."""
    summer_0230 = "'2025-10-26 00:30:00+00'"
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        STAYS_DDL.format("timestamptz"),
        f"(1, 'Dupont', 'Marie', '1980-04-12', 'general', '2025-10-25', {summer_0230})",
    )
    partner_db = sa.make_url(os.environ["ABORD_TEST_PARTNER_URL"]).database
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"alter database {partner_db} set timezone to 'Europe/Paris'")
    landing = tmp_path / "landing"

    first = pull_table(ctx, contract, landing)
    assert (first.status, first.rows_loaded, first.file_name) == ("loaded", 1, "stays_20251026T003000000000.jsonl")
    with psycopg.connect(os.environ["ABORD_TEST_PARTNER_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(
            "insert into care.stays values (2, 'Martin', 'Paul', '1975-06-01', 'general', '2025-10-26',"
            " '2025-10-26 01:15:00+00')"  # 02:15 winter time, 45 minutes after the first pull's row
        )

    second = pull_table(ctx, contract, landing)

    assert (second.status, second.rows_read, second.rows_loaded) == ("loaded", 1, 1)
    assert pull_table(ctx, contract, landing).status == "up_to_date"


STAYS_DDL = "stay_id integer, nom text, prenom text, naissance date, service text, admitted date, updated_at {}"


# a column the project added, which the partner's table may not have yet
SQL_CONTRACT_MAY_LACK = SQL_CONTRACT + (
    "  - {name: discharge_mode, as: discharge_mode, allowed: [domicile, deces], optional_in_file: true}\n"
)
DUPONT = "(1, 'Dupont', 'Marie', '1980-04-12', 'general', '2024-01-03', '2024-01-04 10:00'"


def test_a_partner_table_lacking_a_column_it_may_lack_loads_it_empty_and_says_so(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """As a file lacking it does. optional_in_file was refused on an sql contract: a column added to a partner's
    contract stopped their pulls until their table had it."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        STAYS_DDL.format("timestamp"),
        DUPONT + ")",
        SQL_CONTRACT_MAY_LACK,
    )
    landing = tmp_path / "landing"

    first = pull_table(ctx, contract, landing)

    assert (first.status, first.rows_read, first.rows_loaded) == ("loaded", 1, 1)
    assert first.not_in_file == ("discharge_mode",)
    assert first.line().endswith("quarantined     0  discharge_mode not in the file: loaded empty")
    with psycopg.connect(os.environ["ABORD_TEST_PARTNER_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("alter table care.stays add column discharge_mode text")
        conn.execute(
            "insert into care.stays values (2, 'Martin', 'Paul', '1975-06-01', 'general', '2024-02-01',"
            " '2024-02-02 09:30', 'domicile')"
        )
    second = pull_table(ctx, contract, landing)
    assert (second.status, second.rows_loaded, second.not_in_file) == ("loaded", 1, ())
    with psycopg.connect(ctx.url) as conn:
        batches = conn.execute("select not_in_file from audit.batches order by batch_id").fetchall()
        loaded = conn.execute(
            "select admission_date, discharge_mode from raw.partner_stays order by admission_date"
        ).fetchall()
    assert batches == [(["discharge_mode"],), ([],)]
    assert loaded == [(date(2024, 1, 3), None), (date(2024, 2, 1), "domicile")]


@pytest.mark.parametrize("column", ["discharge_modes", "Discharge_Mode", "discharge_mod"])
def test_a_partner_table_holding_a_column_it_may_lack_renamed_is_refused(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch, column: str
) -> None:
    """A table column that is its name but for case, separators and one letter is a rename, as in a file's header:
    refused, never loaded empty; another column of the same thing (one letter changed) is not."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        STAYS_DDL.format("timestamp") + f', "{column}" text',
        DUPONT + ", 'domicile')",
        SQL_CONTRACT_MAY_LACK,
    )
    landing = tmp_path / "landing"

    with pytest.raises(SqlSourceError) as refused:
        pull_table(ctx, contract, landing)

    assert str(refused.value) == (
        f"partner_stays: care.stays has no column(s) discharge_mode (renamed: '{column}' instead of 'discharge_mode'?)"
    )
    assert not [p for p in landing.rglob("*") if p.is_file()]
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,)
    with psycopg.connect(os.environ["ABORD_TEST_PARTNER_URL"].replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'alter table care.stays rename column "{column}" to discharge_code')
    assert pull_table(ctx, contract, landing).not_in_file == ("discharge_mode",)


def test_a_connection_that_fails_is_a_clear_error_naming_source_table_and_step(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """Not a SQLAlchemy traceback holding the host and user; no half pull left in landing; `abord ingest` exits 2."""
    rows = ", ".join(
        f"({i}, 'Dupont', 'Marie', '1980-04-12', 'general', '2024-01-03', '2024-01-04 10:{i:02d}')" for i in range(40)
    )
    contract, ctx = _partner_table(
        warehouse_url, pg_admin_url, tmp_path, monkeypatch, STAYS_DDL.format("timestamp"), rows
    )
    landing = tmp_path / "landing"

    refused_url = "postgresql+psycopg://steward_x:s3cret-pw@127.0.0.1:1/partner"
    with pytest.raises(SqlSourceError) as refused:
        pull_table(ctx, contract, landing, url=refused_url)
    assert "partner_stays: the pull of care.stays failed connecting to the partner database" in str(refused.value)
    assert "ABORD_TEST_PARTNER_URL" in str(refused.value)
    assert not {"s3cret", "steward_x", "127.0.0.1"} & set(str(refused.value).replace('"', " ").split())
    assert "s3cret" not in str(refused.value) and refused.value.__context__ is None

    # mid-way: the partner's server ends the session once the first row has been read
    partner_db = sa.make_url(os.environ["ABORD_TEST_PARTNER_URL"]).database

    real_cell_text, ended = sql_pull.cell_text, []

    def cell_text_then_disconnect(*args, **kwargs):
        if not ended:
            with psycopg.connect(pg_admin_url, autocommit=True) as admin:
                admin.execute(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = %s", (partner_db,)
                )
            ended.append(True)
        return real_cell_text(*args, **kwargs)

    monkeypatch.setattr(sql_pull, "cell_text", cell_text_then_disconnect)
    with pytest.raises(SqlSourceError, match="failed reading the rows of care.stays \\(OperationalError") as cut:
        pull_table(ctx, contract, landing)
    assert "nothing was loaded" in str(cut.value) and "Dupont" not in str(cut.value)
    assert ended and not [p for p in landing.rglob("*") if p.is_file()]
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,)
    monkeypatch.setattr(sql_pull, "cell_text", real_cell_text)

    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(cli_pipelines, "_context", lambda: ctx)
    monkeypatch.setenv("ABORD_TEST_PARTNER_URL", refused_url)
    result = CliRunner().invoke(app, ["ingest", "--source", "partner_stays"])
    assert result.exit_code == 2, result.output
    assert "failed connecting to the partner database" in result.output and "Traceback" not in result.output
    assert "s3cret" not in result.output and "steward_x" not in result.output


def test_a_url_sqlalchemy_cannot_use_is_a_clear_error_naming_its_variable(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """A port that is not a number (ValueError) or a driver not installed (ModuleNotFoundError) escaped as a
    traceback, not as the SqlSourceError `abord ingest` and the asset tell a steward."""
    contract, ctx = _partner_table(
        warehouse_url, pg_admin_url, tmp_path, monkeypatch, STAYS_DDL.format("timestamp"), "(1, 'Dupont')"
    )
    for url in ("postgresql+psycopg://steward_x:s3cret-pw@dbhost:54x2/partner", "mssql+pyodbc://u:s3cret@dbhost/db"):
        with pytest.raises(SqlSourceError) as refused:
            pull_table(ctx, contract, tmp_path / "landing", url=url)
        assert "failed reading the URL in ABORD_TEST_PARTNER_URL" in str(refused.value)
        assert "s3cret" not in str(refused.value) and "dbhost" not in str(refused.value)


def test_a_watermark_neither_integer_nor_date_is_refused_before_anything_is_written(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, monkeypatch
) -> None:
    """A text watermark has no bound to file the pull under: the pull stopped after writing it all, leaving a
    `.partial` in landing and a message without the source's name."""
    contract, ctx = _partner_table(
        warehouse_url,
        pg_admin_url,
        tmp_path,
        monkeypatch,
        STAYS_DDL.format("text"),
        "(1, 'Dupont', 'Marie', '1980-04-12', 'general', '2024-01-03', '2024-01-04 10:00')",
    )
    landing = tmp_path / "landing"

    with pytest.raises(SqlSourceError) as refused:
        pull_table(ctx, contract, landing)

    assert str(refused.value) == (
        "partner_stays: the watermark care.stays.updated_at is TEXT: it must be an integer, a date or a timestamp"
    )
    assert not [p for p in landing.rglob("*") if p.is_file()]


def _compute(path: Path, formula: bytes, value: bytes | None, cell_type: bytes = b"") -> None:
    """Give a formula the value Excel would have cached (openpyxl writes none: <v />), of `cell_type` if given (b"e":
    an error); None: the empty text Excel writes for a formula showing nothing (`=""`), t="str" and <v/>."""
    with zipfile.ZipFile(path) as book:
        parts = {name: book.read(name) for name in book.namelist()}
    sheet = next(name for name, xml in parts.items() if formula in xml)
    cell = re.search(rb'<c r="\w+">(?=' + re.escape(formula) + b")", parts[sheet])[0]
    if value is None:
        parts[sheet] = parts[sheet].replace(cell + formula + b"<v />", cell[:-1] + b' t="str">' + formula + b"<v/>")
    else:
        typed = cell[:-1] + b' t="' + cell_type + b'">' if cell_type else cell
        parts[sheet] = parts[sheet].replace(cell + formula + b"<v />", typed + formula + b"<v>" + value + b"</v>")
    with zipfile.ZipFile(path, "w") as book:
        for name, data in parts.items():
            book.writestr(name, data)


def test_a_workbook_whose_formulas_all_hold_their_value_is_read_once(ctx, contract, tmp_path: Path, monkeypatch):
    """Excel caches every formula's value (a totals row, a computed rent): no second pass over the sheet. A formula
    showing nothing (=IF(…,"",…)) is cached as empty text: it read as no value, and its row was quarantined."""
    path = _workbook(
        tmp_path / "landlord" / "loyers_2025-12.xlsx",
        [
            ["L1", "Lyon", datetime(2024, 1, 1), 400, "=1+2", None],
            ["L2", "Lyon", datetime(2024, 1, 1), '=IF(B3="Lyon","",400)', 2, None],  # an optional rent, empty
        ],
    )
    _compute(path, b"<f>1+2</f>", b"3")
    _compute(path, b'<f>IF(B3="Lyon","",400)</f>', None)
    monkeypatch.setattr(xlsx, "valueless_cells", lambda *args: pytest.fail("the sheet was read a second time"))

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_loaded) == ("loaded", 2)
    loaded, _ = _loaded_and_reasons(ctx, "select source_row, monthly_rent, rooms from raw.landlord_rents order by 1")
    assert loaded == [(2, Decimal("400"), 3), (3, None, 2)]


def test_a_formula_cell_with_no_computed_value_is_quarantined_naming_the_cell(ctx, contract, tmp_path: Path) -> None:
    """A workbook written by a library and never opened in Excel holds formulas but no values: the cells read empty
    and an optional column loaded null, silently. A formula Excel computed (a cached value) loads that value."""
    path = _workbook(
        tmp_path / "landlord" / "loyers_2025-12.xlsx",
        [
            ["L1", "Lyon", datetime(2024, 1, 1), 400, "=1+1", None],  # rooms: no value computed
            ["L2", "Lyon", datetime(2024, 1, 1), 400, 2, "=A3"],  # a formula in a column not read: no matter
            ["=A2", "=B2", "=C2", "=D2", "=E2", None],  # every cell a formula: not a blank row
            ["L4", "Lyon", datetime(2024, 1, 1), 400, "=1+2", None],  # computed, below
            ["L5", "Lyon", datetime(2024, 1, 1), '=""', 1, None],  # computed as empty text, below
        ],
    )
    _compute(path, b"<f>1+2</f>", b"3")
    _compute(path, b'<f>""</f>', None)

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 5, 3, 2)
    loaded, reasons = _loaded_and_reasons(ctx, "select source_row, rooms from raw.landlord_rents order by 1")
    assert loaded == [(3, 2), (5, 3), (6, 1)]
    assert reasons == [(2, "formula_without_value"), (4, "formula_without_value")]
    messages = (ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv").read_text()
    assert "cell(s) E2 (pieces): a formula with no computed value" in messages
    assert "cell(s) A4 (id_bail), B4 (site), C4 (date_debut), D4 (loyer), E4 (pieces)" in messages


def test_an_excel_error_in_a_column_read_is_quarantined_naming_the_cell_and_the_error(ctx, contract, tmp_path: Path):
    """A cell holding Excel's error (t="e": a formula that failed, a lookup that found nothing) read as its text: the
    site loaded as '#N/A'. No value the partner meant: its row is quarantined, unless the contract leaves the column."""
    path = _workbook(
        tmp_path / "landlord" / "loyers_2025-12.xlsx",
        [  # openpyxl writes an error's text as the error value, t="e", as Excel does
            ["L1", "#N/A", datetime(2024, 1, 1), 400, 2, None],  # a lookup that found no site
            ["L2", "Lyon", datetime(2024, 1, 1), 400, 2, "#REF!"],  # a column not read: no matter
            ["L3", "#NAME?", datetime(2024, 1, 1), "=1/0", "#NUM!", None],
            ["L4", "Lyon", datetime(2024, 1, 1), 400, "=1+1", None],  # no computed value, beside the errors
        ],
    )
    _compute(path, b"<f>1/0</f>", b"#DIV/0!", b"e")  # as Excel caches a formula that failed

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 4, 1, 3)
    loaded, reasons = _loaded_and_reasons(ctx, "select source_row, site from raw.landlord_rents order by 1")
    assert loaded == [(3, "Lyon")]
    assert reasons == [(2, "formula_error"), (4, "formula_error"), (5, "formula_without_value")]
    messages = (ctx.quarantine_dir / contract.name / f"{path.name}.rejected.csv").read_text()
    assert "cell(s) B2 (site) #N/A: an Excel error, not a value" in messages
    assert "cell(s) B4 (site) #NAME?, D4 (loyer) #DIV/0!, E4 (pieces) #NUM!: an Excel error" in messages
    assert "cell(s) E5 (pieces): a formula with no computed value" in messages
