"""Housing as a HUD HMIS CSV export: the `hmis` contract variant fills the French operator's raw tables."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import CONTRACTS_DIR, ContractError, check_contracts, load_contracts
from pipelines.ingest import IngestContext, ingest_file, ingest_source
from pipelines.pipeline import ensure_raw_tables
from pipelines.readers import read_rows
from pipelines.readers.hmis import detect_version
from pipelines.readers.hmis_export import HmisExport, pack_folder
from pipelines.sample.config import load_config
from pipelines.sample.generate import generate
from tests.conftest import create_database
from tests.pipelines.hmis_exports import EXITS, hmis_zip

CSV = load_contracts(variants=())
HMIS = load_contracts(variants=("hmis",))
HOUSING = ("housing_participants", "housing_tenancies")


class _NoRedaction:
    def redact_many(self, texts, names):
        return texts


def _context(url: str, contracts: dict, quarantine: Path) -> IngestContext:
    ensure_raw_tables(url, contracts)
    return IngestContext(url, bytes(range(32)), quarantine, contracts, _NoRedaction)


def _housing(url: str) -> dict[str, object]:
    with psycopg.connect(url) as conn:
        return {
            "persons": conn.execute("select count(distinct person_key) from raw.housing_participants").fetchone()[0],
            "participants": conn.execute(
                "select record_ref, birth_year, site, referral_date, entry_date from raw.housing_participants"
                " order by 1"
            ).fetchall(),
            "tenancies": conn.execute(
                "select t.record_ref, p.record_ref, t.site, t.start_date, t.end_date, t.exit_reason"
                " from raw.housing_tenancies t join raw.housing_participants p using (person_key) order by 1"
            ).fetchall(),
        }


def _generate(out: Path, tmp_path: Path, housing: str, version: str = "FY2024") -> Path:
    config = tmp_path / f"{housing}_{version}.yml"
    config.write_text(f"formats: {{housing: {housing}, hmis_version: {version}}}\n")
    generate(out, persons=120, seed=11, config=load_config(config))
    return out / "landing"


@pytest.mark.parametrize("version", ["FY2024", "FY2026"])
def test_an_hmis_export_loads_the_same_housing_as_the_csv_files(
    warehouse_url: str, pg_admin_url: str, tmp_path: Path, version: str
) -> None:
    csv_landing = _generate(tmp_path / "csv", tmp_path, "csv")
    hmis_landing = _generate(tmp_path / "hmis", tmp_path, "hmis", version)
    assert not list((hmis_landing / "housing").glob("participants_*")), "housing sends HMIS only"
    (export,) = (hmis_landing / "housing").glob("hmis_*.zip")
    assert detect_version(HmisExport(export)) == version

    csv_ctx = _context(warehouse_url, CSV, tmp_path / "q_csv")
    hmis_url = create_database(pg_admin_url)
    hmis_ctx = _context(hmis_url, HMIS, tmp_path / "q_hmis")
    for name in HOUSING:
        ingest_source(csv_ctx, CSV[name], csv_landing)
        (summary,) = ingest_source(hmis_ctx, HMIS[name], hmis_landing)
        assert (summary.status, summary.rows_quarantined) == ("loaded", 0)
        assert summary.rows_read == summary.rows_loaded > 0

    from_csv, from_hmis = _housing(warehouse_url), _housing(hmis_url)
    assert from_hmis["persons"] == from_csv["persons"] == len(from_csv["participants"]) > 100
    # the same records (same partner ids, same key), the same dates, sites and exit reasons
    assert from_hmis["participants"] == from_csv["participants"]
    assert from_hmis["tenancies"] == from_csv["tenancies"]
    with psycopg.connect(hmis_url) as conn:
        (rows,) = conn.execute("select count(*) from raw.housing_participants where notes is not null").fetchone()
    assert rows == 0


def test_a_folder_export_is_packed_once_and_loaded_once(warehouse_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "landing" / "housing" / "hmis_2025-12"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(hmis_zip("FY2026"))) as archive:
        archive.extractall(folder)
    ctx = _context(warehouse_url, HMIS, tmp_path / "q")
    packed = pack_folder(folder)
    assert packed.name == "hmis_2025-12.zip"
    first = ingest_file(ctx, HMIS["housing_participants"], packed)
    assert (first.status, first.rows_read, first.rows_loaded) == ("loaded", 2, 2)
    assert pack_folder(folder).read_bytes() == packed.read_bytes()
    assert ingest_file(ctx, HMIS["housing_participants"], packed).status == "already_loaded"

    tenancies = ingest_file(ctx, HMIS["housing_tenancies"], packed)
    assert (tenancies.status, tenancies.rows_loaded) == ("loaded", 2)
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute(
            "select start_date::text, end_date::text, exit_reason, monthly_rent from raw.housing_tenancies order by 1"
        ).fetchall() == [("2023-02-01", None, None, None), ("2023-03-15", "2024-01-31", "rue", None)]
        # the SSN, names and birth date went into link keys only
        stored = conn.execute("select * from raw.housing_participants").fetchall()
    assert not any(v in str(stored) for v in ("123456789", "Dupont", "Hélène", "1980-04-12"))


def test_the_version_is_told_by_the_header_when_export_csv_is_silent(tmp_path: Path) -> None:
    for version in ("FY2024", "FY2026"):
        path = tmp_path / f"{version}.zip"
        path.write_bytes(hmis_zip(version, csv_version=""))
        assert detect_version(HmisExport(path)) == version


def test_a_variant_must_fill_the_raw_table_of_the_contract_it_stands_in_for(tmp_path: Path) -> None:
    shipped = CONTRACTS_DIR
    for name in ("housing_participants", "housing_tenancies", "housing_support_contacts"):
        (tmp_path / f"{name}.yml").write_text((shipped / f"{name}.yml").read_text())
    (tmp_path / "hmis").mkdir()
    variant = (shipped / "hmis" / "housing_tenancies.yml").read_text()
    (tmp_path / "hmis" / "housing_tenancies.yml").write_text(variant.replace("as: monthly_rent", "as: rent"))
    contracts, errors = check_contracts(tmp_path)
    assert set(contracts) == {"housing_participants", "housing_tenancies", "housing_support_contacts"}
    assert errors == [
        f"{tmp_path / 'hmis' / 'housing_tenancies.yml'}: its raw columns differ from housing_tenancies.yml's"
        " (monthly_rent, rent)"
    ]
    with pytest.raises(ContractError, match="no contract variant 'xml'"):
        load_contracts(tmp_path, variants=("xml",))
    assert check_contracts()[1] == [], "the shipped contracts and their variants are consistent"


def test_destination_codes_become_the_contract_exit_reasons(tmp_path: Path) -> None:
    moved = {"ExitID": "X2", "EnrollmentID": "E1", "PersonalID": "C1", "ExitDate": "2024-05-01",
             "Destination": "435", "DestinationSubsidyType": "439"}  # fmt: skip
    path = tmp_path / "hmis_2025-12.zip"
    path.write_bytes(hmis_zip(exits=[{**EXITS[0], "Destination": "17"}, moved]))
    rows = [row for _, row in read_rows(path, HMIS["housing_tenancies"])]
    # a move to another supportive-housing unit; "other" is an exit nobody gave a reason for
    assert [row["Exit.Destination+DestinationSubsidyType"] for row in rows] == ["demenagement", ""]
    assert [row["loyer_mensuel"] for row in rows] == [None, None]


@pytest.mark.parametrize(("ssn", "persons"), [("212-45-6789", 1), ("xxxxx6789", 2)])
def test_duplicate_client_records_with_one_whole_ssn_are_one_person(
    warehouse_url: str, tmp_path: Path, ssn: str, persons: int
) -> None:
    # HMIS holds duplicate client records: here the same woman under her birth and her married name. Nothing
    # but the SSN ties them (exact keys and name encodings differ); a partial SSN ties nobody.
    clients = [
        {"PersonalID": "C1", "FirstName": "Hélène", "LastName": "Dupont", "DOB": "1980-04-12", "SSN": ssn},
        {"PersonalID": "C3", "FirstName": "Hélène", "LastName": "Lambert", "DOB": "1980-04-12", "SSN": ssn},
    ]
    enrollments = [
        {"EnrollmentID": f"E{n}", "PersonalID": client, "ProjectID": "PSH1", "EntryDate": "2023-01-10",
         "MoveInDate": "2023-02-01"}
        for n, client in enumerate(["C1", "C3"])
    ]  # fmt: skip
    export = tmp_path / "hmis_2025-12.zip"
    export.write_bytes(hmis_zip(clients=clients, enrollments=enrollments, exits=[]))
    summary = ingest_file(_context(warehouse_url, HMIS, tmp_path / "q"), HMIS["housing_participants"], export)
    assert (summary.status, summary.rows_loaded) == ("loaded", 2)
    assert _housing(warehouse_url)["persons"] == persons
