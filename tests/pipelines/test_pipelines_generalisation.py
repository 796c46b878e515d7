"""What identifiers become in raw: a birth date its year, a postcode its département, the rest nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import load_contract
from pipelines.ingest import IngestContext, ingest_file
from pipelines.raw_tables import raw_columns

CONTRACT = """
name: clinic_visits
partner: clinic
file_pattern: "clinic/visites_*.csv"
period_pattern: "_(\\\\d{4}-\\\\d{2})\\\\.csv$"
format: {type: csv, delimiter: ";", encoding: utf-8, date_format: "%d/%m/%Y"}
columns:
  - {name: id_visite, role: record_id, required: true, unique: true}
  - {name: nom, role: family_name}
  - {name: prenom, role: given_name}
  - {name: naissance, role: birth_date}
  - {name: code_postal, role: postcode}
  - {name: date_visite, type: date, required: true, as: visit_date}
"""
ROWS = [
    ("V1", "Dupont", "Hélène", "12/03/1975", "69003", "02/12/2025"),
    ("V2", "Martin", "Paul", "01/06/1980", "20090", "03/12/2025"),
    ("V3", "Nguyen", "Linh", "05/05/1990", "97411", "04/12/2025"),
    ("V4", "Durand", "Anne", "07/07/1970", "1000", "05/12/2025"),  # Ain's 01000, its zero lost by a spreadsheet
    ("V5", "Leroy", "Marc", "08/08/1968", "", "06/12/2025"),
]


@pytest.fixture
def contract(tmp_path: Path):
    contract_file = tmp_path / "clinic_visits.yml"
    contract_file.write_text(CONTRACT)
    return load_contract(contract_file)


def test_a_postcode_is_stored_as_its_departement_and_nothing_else_identifies(
    warehouse_url: str, tmp_path: Path, contract, contract_context: IngestContext
):
    assert [name for name, _ in raw_columns(contract)] == [
        "record_ref",
        "person_key",
        "birth_year",
        "departement",
        "visit_date",
    ]
    ctx = contract_context
    path = tmp_path / "landing" / "clinic" / "visites_2025-12.csv"
    path.parent.mkdir(parents=True)
    header = "id_visite;nom;prenom;naissance;code_postal;date_visite"
    path.write_text("\n".join([header, *(";".join(row) for row in ROWS)]) + "\n", encoding="utf-8")

    summary = ingest_file(ctx, contract, path)

    assert (summary.status, summary.rows_loaded) == ("loaded", len(ROWS))
    with psycopg.connect(warehouse_url) as conn:
        stored = conn.execute(
            "select birth_year, departement, visit_date from raw.clinic_visits order by visit_date"
        ).fetchall()
        text = " ".join(str(v) for row in conn.execute("select * from raw.clinic_visits").fetchall() for v in row)
    assert stored == [
        (1975, "69", date(2025, 12, 2)),
        (1980, "2A", date(2025, 12, 3)),
        (1990, "974", date(2025, 12, 4)),
        (1970, "01", date(2025, 12, 5)),
        (1968, None, date(2025, 12, 6)),
    ]
    for row in ROWS:
        assert not any(value in text for value in row[1:5] if len(value) > 2), "an identifier reached raw"
