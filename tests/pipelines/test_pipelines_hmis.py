"""Housing as a HUD HMIS CSV export: the `hmis` contract variant fills the French operator's raw tables."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import CONTRACTS_DIR, ContractError, check_contracts, load_contract, load_contracts
from pipelines.ingest import IngestContext, ingest_file, ingest_source
from pipelines.pipeline import ensure_raw_tables
from pipelines.readers import FileRejected, hmis_export, read_rows
from pipelines.readers.hmis import detect_version
from pipelines.readers.hmis_export import HmisExport, pack_folder
from pipelines.sample.config import load_config
from pipelines.sample.generate import generate
from tests.conftest import create_database
from tests.pipelines.file_mishaps import write_over_while_read
from tests.pipelines.hmis_exports import CLIENTS, ENROLLMENTS, EXITS, SERVICES, hmis_zip

CSV = load_contracts(variants=())
HMIS = load_contracts(variants=("hmis",))
HOUSING = ("housing_participants", "housing_tenancies", "housing_support_contacts")


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
            "contacts": conn.execute(
                "select c.record_ref, p.record_ref, c.contact_date, c.contact_kind, c.duration_minutes"
                " from raw.housing_support_contacts c join raw.housing_participants p using (person_key) order by 1"
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
    # the same support contacts, each of its kind, but for what HMIS has no field for: peer support, durations
    from_csv_in_hmis = [(*c[:4], None) for c in from_csv["contacts"] if c[3] != "pair_aidance"]
    assert from_hmis["contacts"] == from_csv_in_hmis
    assert {c[3] for c in from_hmis["contacts"]} == {"visite_domicile", "entretien", "accompagnement"}
    with psycopg.connect(hmis_url) as conn:
        (rows,) = conn.execute("select count(*) from raw.housing_participants where notes is not null").fetchone()
    assert rows == 0


def test_a_month_without_services_still_sends_an_export_that_loads(warehouse_url: str, tmp_path: Path) -> None:
    """Services.csv holds a month's new contacts only: a month without any is a header, an empty month of an
    append source, not a file that would empty the source."""
    config = tmp_path / "quiet.yml"
    config.write_text("formats: {housing: hmis}\nsupport: {visits_per_month: 0, peer_share: 0}\n")
    generate(tmp_path / "out", persons=40, seed=3, months=2, config=load_config(config))
    ctx = _context(warehouse_url, HMIS, tmp_path / "q")
    exports = sorted((tmp_path / "out" / "landing" / "housing").glob("hmis_*.zip"))
    assert [export.name for export in exports] == ["hmis_2025-11.zip", "hmis_2025-12.zip"]
    for export in exports:
        contacts = ingest_file(ctx, HMIS["housing_support_contacts"], export)
        assert (contacts.status, contacts.rows_read) == ("loaded", 0)
        participants = ingest_file(ctx, HMIS["housing_participants"], export)
        assert (participants.status, participants.rows_quarantined) == ("loaded", 0)
        assert participants.rows_loaded > 0


def _large_export(last_name: str) -> bytes:
    """An export of 400 enrolled clients: Client.csv, streamed, is read in several pieces."""
    clients = [{**CLIENTS[1], "PersonalID": f"C{i}", "LastName": f"{last_name}{i}"} for i in range(400)]
    enrollments = [{**ENROLLMENTS[1], "EnrollmentID": f"E{i}", "PersonalID": f"C{i}"} for i in range(400)]
    return hmis_zip(clients=clients, enrollments=enrollments, exits=[])


def test_an_export_written_over_while_it_is_read_loads_nothing(warehouse_url: str, tmp_path: Path, monkeypatch):
    """A partner's upload writing over the ZIP under its name (sftp) while a batch read it: Client.csv's data ended
    midway, and a raw EOFError stopped the run, where a file changed while read records nothing (arrival.py)."""
    ctx = _context(warehouse_url, HMIS, tmp_path / "q")
    path = tmp_path / "hmis_2025-12.zip"
    path.write_bytes(_large_export("Martin"))
    sent_again = _large_export("Roux")
    write_over_while_read(monkeypatch, sent_again)
    summary = ingest_file(ctx, HMIS["housing_participants"], path)
    assert summary.status == "changed" and "changed while it was read" in summary.message
    with psycopg.connect(ctx.url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,)
    monkeypatch.undo()
    path.write_bytes(sent_again)
    assert ingest_file(ctx, HMIS["housing_participants"], path).rows_loaded == 400, "once whole, read whole"


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


def test_a_zip_of_two_exports_is_rejected_naming_both_copies(tmp_path: Path) -> None:
    """Two export folders zipped together: each file name twice. One copy of each was read, silently."""
    one = zipfile.ZipFile(io.BytesIO(hmis_zip()))
    path = tmp_path / "hmis_2025-12.zip"
    with zipfile.ZipFile(path, "w") as both:
        for folder in ("2025-11", "2025-12"):
            for name in one.namelist():
                both.writestr(f"{folder}/{name}", one.read(name))
    with pytest.raises(FileRejected) as rejected:
        list(read_rows(path, load_contracts(variants=("hmis",))["housing_participants"]))
    assert rejected.value.code == "duplicate_hmis_file"
    assert "2025-11/Export.csv and 2025-12/Export.csv are both in the ZIP" in str(rejected.value)
    assert str(rejected.value).startswith("hmis_2025-12.zip: ")


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
    # a base contract widened without its variant: the column is named once, with both types
    base = (shipped / "housing_support_contacts.yml").read_text()
    widened = base.replace("type: integer, as: duration_minutes", "type: decimal, as: duration_minutes")
    assert widened != base
    (tmp_path / "housing_support_contacts.yml").write_text(widened)
    (tmp_path / "hmis" / "housing_support_contacts.yml").write_text(
        (shipped / "hmis" / "housing_support_contacts.yml").read_text()
    )
    assert check_contracts(tmp_path)[1][0] == (
        f"{tmp_path / 'hmis' / 'housing_support_contacts.yml'}: its raw columns differ from"
        " housing_support_contacts.yml's (duration_minutes is bigint here, numeric there)"
    )
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


def test_services_become_contacts_of_their_kind_and_the_rest_is_skipped(tmp_path: Path) -> None:
    services = [
        *SERVICES,  # a case-management meeting, a bed night, a service in the residence
        {**SERVICES[0], "ServicesID": "S4", "RecordType": "141", "TypeProvided": "2"},  # PATH screening: a meeting
        {**SERVICES[0], "ServicesID": "S5", "RecordType": "141", "TypeProvided": "11"},  # a security deposit
        {**SERVICES[0], "ServicesID": "S6", "RecordType": "300", "TypeProvided": "3"},  # moving-on navigation
        {**SERVICES[0], "ServicesID": "S7", "RecordType": "152", "TypeProvided": "1"},  # SSVF rental assistance
        {**SERVICES[0], "ServicesID": "S8", "RecordType": "143", "TypeProvided": "14"},  # other HOPWA service
    ]
    path = tmp_path / "hmis_2025-12.zip"
    path.write_bytes(hmis_zip(services=services))
    kinds = {row["Services.ServicesID"]: row["Services.RecordType+TypeProvided"]
             for _, row in read_rows(path, HMIS["housing_support_contacts"])}  # fmt: skip
    assert kinds == {"S1": "entretien", "S3": "visite_domicile", "S4": "entretien", "S6": "accompagnement",
                     "S8": "accompagnement"}  # fmt: skip

    # a programme whose peer workers record their contacts as "other HOPWA service" says so in its contract
    shipped = (CONTRACTS_DIR / "hmis" / "housing_support_contacts.yml").read_text()
    (tmp_path / "hmis").mkdir()
    changed = tmp_path / "hmis" / "housing_support_contacts.yml"
    changed.write_text(shipped.replace('"143+2": entretien', '"143+2": entretien\n      "143+14": pair_aidance'))
    read = {row["Services.ServicesID"]: row["Services.RecordType+TypeProvided"]
            for _, row in read_rows(path, load_contract(changed))}  # fmt: skip
    assert read["S8"] == "pair_aidance"


def test_only_an_hmis_contract_may_skip_records_by_a_null_code(tmp_path: Path) -> None:
    # a CSV file has one kind of record: a code that skips rows there would lose them unseen
    shipped = (CONTRACTS_DIR / "housing_support_contacts.yml").read_text()
    path = tmp_path / "housing_support_contacts.yml"
    path.write_text(shipped.replace("    allowed: [", "    codes: {autre: ~}\n    allowed: ["))
    with pytest.raises(ContractError, match="a null code .* is for hmis sources only"):
        load_contract(path)
    # nor may an hmis contract skip the records it reads by a code of another file
    shipped = (CONTRACTS_DIR / "hmis" / "housing_tenancies.yml").read_text()
    path.write_text(shipped.replace('"24": deces', '"24": ~'))
    with pytest.raises(ContractError, match="on a column of format.resource: Exit.Destination"):
        load_contract(path)


def test_a_shelter_that_sends_hmis_gives_its_bed_nights_as_shelter_nights(warehouse_url: str, tmp_path: Path) -> None:
    contracts = load_contracts(variants=("hmis", "hmis_shelter"))
    housing = tmp_path / "landing" / "housing" / "hmis_2025-12.zip"
    housing.parent.mkdir(parents=True)
    housing.write_bytes(hmis_zip())
    # the 115's own export: Hélène (C1 there too, by chance) stayed three nights in a night-by-night shelter
    nights = [
        {"ServicesID": f"N{day}", "EnrollmentID": "ES1", "PersonalID": "C1", "DateProvided": f"2022-11-{day}",
         "RecordType": "200", "TypeProvided": "200"}
        for day in (20, 21, 22)
    ]  # fmt: skip
    shelter = tmp_path / "landing" / "shelter" / "hmis_2025-12.zip"
    shelter.parent.mkdir(parents=True)
    shelter.write_bytes(
        hmis_zip(
            clients=[CLIENTS[0]],
            enrollments=[{"EnrollmentID": "ES1", "PersonalID": "C1", "ProjectID": "ES-NBN", "EntryDate": "2022-11-20"}],
            exits=[{"ExitID": "X9", "EnrollmentID": "ES1", "PersonalID": "C1", "ExitDate": "2022-11-23"}],
            projects=[{"ProjectID": "ES-NBN", "ProjectName": "Abri de nuit", "ProjectType": "1"}],
            services=[*nights, {**nights[0], "ServicesID": "P1", "RecordType": "141", "TypeProvided": "1"}],
        )
    )
    ctx = _context(warehouse_url, contracts, tmp_path / "q")
    ingest_file(ctx, contracts["housing_participants"], housing)
    summary = ingest_file(ctx, contracts["shelter_nights"], shelter)
    assert (summary.status, summary.rows_read, summary.rows_loaded) == ("loaded", 3, 3), "the PATH service is no night"
    with psycopg.connect(ctx.url) as conn:
        stored = conn.execute(
            "select night_date::text, shelter, place_type, birth_year from raw.shelter_nights order by 1"
        ).fetchall()
        (persons,) = conn.execute(
            "select count(distinct person_key) from (select person_key from raw.shelter_nights"
            " union all select person_key from raw.housing_participants where record_ref = 'C1') keys"
        ).fetchone()
    assert stored == [(f"2022-11-{day}", "Abri de nuit", "urgence", 1980) for day in (20, 21, 22)]
    assert persons == 1, "her nights at the 115 and her housing are one person's"
    assert not any(v in str(stored) for v in ("123456789", "Dupont", "Hélène", "1980-04-12"))


def test_a_folder_export_still_being_copied_while_it_is_packed_is_not_packed(tmp_path: Path, monkeypatch) -> None:
    """A member written on while the folder is packed: the ZIP would hold half of it (or a file without the ones
    to come), loaded under a sha256 of its own; the run says so and packs it once it stands still."""
    landing = tmp_path / "landing"
    folder = landing / "housing" / "hmis_2025-12"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(hmis_zip("FY2026"))) as archive:
        archive.extractall(folder)
    client = folder / "Client.csv"
    real = hmis_export.shutil.copyfileobj

    def copy_goes_on(source, sink, length):
        real(source, sink, length)
        with client.open("a") as handle:
            handle.write("\n")

    monkeypatch.setattr(hmis_export.shutil, "copyfileobj", copy_goes_on)
    ((unpacked, changed),) = hmis_export.pack_folders(landing, "housing/hmis_*.zip")
    assert unpacked == folder and "changed while it was packed" in str(changed)
    assert [p.name for p in (landing / "housing").iterdir()] == ["hmis_2025-12"], "no ZIP, no partial left"
    monkeypatch.undo()
    assert hmis_export.pack_folders(landing, "housing/hmis_*.zip") == []
    assert (landing / "housing" / "hmis_2025-12.zip").is_file()


def _unzipped(folder: Path) -> Path:
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(hmis_zip("FY2026"))) as archive:
        archive.extractall(folder)
    return folder


def test_an_export_unzipped_into_a_sub_folder_packs_as_the_same_export(warehouse_url: str, tmp_path: Path) -> None:
    """Unzipping an export often gives hmis_2025-12/HMIS_Export/Client.csv...: it was refused as "no CSV file",
    while the same layout inside a ZIP loads. A Mac's __MACOSX folder beside it is no second export."""
    flat = _unzipped(tmp_path / "flat" / "hmis_2025-12")
    landing = tmp_path / "landing"
    nested = landing / "housing" / "hmis_2025-12"
    _unzipped(nested / "HMIS_Export")
    (nested / "__MACOSX" / "HMIS_Export").mkdir(parents=True)
    (nested / "__MACOSX" / "HMIS_Export" / "._Client.csv").write_bytes(b"\x00\x05\x16\x07")

    assert hmis_export.pack_folders(landing, "housing/hmis_*.zip") == []

    packed = landing / "housing" / "hmis_2025-12.zip"
    assert packed.read_bytes() == pack_folder(flat).read_bytes(), "the same export, the same bytes"
    ctx = _context(warehouse_url, HMIS, tmp_path / "q")
    loaded = ingest_file(ctx, HMIS["housing_participants"], packed)
    assert (loaded.status, loaded.rows_read, loaded.rows_loaded) == ("loaded", 2, 2)


def test_a_folder_holding_two_exports_is_refused_naming_them(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    folder = landing / "housing" / "hmis_2025-12"
    _unzipped(folder / "export_novembre")
    _unzipped(folder / "export_decembre")

    ((unpacked, refused),) = hmis_export.pack_folders(landing, "housing/hmis_*.zip")

    assert unpacked == folder and isinstance(refused, FileRejected) and refused.code == "ambiguous_hmis_folder"
    assert str(refused).startswith("hmis_2025-12: no CSV file of its own but 2 folders of them")
    assert "(export_decembre, export_novembre)" in str(refused)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["hmis_2025-12"], "no ZIP, no partial left"
