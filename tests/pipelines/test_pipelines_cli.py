"""The steward's commands: `abord ingest`, `abord contracts check | draft`, `abord quarantine list | show | retry`."""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from orchestration.ingestion import ingest_batches
from orchestration.resources import AbordResource
from pipelines.contract import load_contract, load_contracts
from pipelines.ingest import ingest_file
from pipelines.ledger import record_batch, record_rejections
from pipelines.pipeline import ingest_context
from pipelines.readers import hmis_export
from pipelines.retry import retry_quarantine
from pipelines.settings import get_settings
from pseudonymisation.keys import new_key
from tests.pipelines.file_mishaps import (
    AS_ITS_BATCH_BEGINS,
    AS_ITS_BATCH_COMMITS,
    ONCE_READ,
    deny_opening,
    save_over_as,
)
from tests.pipelines.hmis_exports import hmis_zip
from tests.pipelines.leftovers import as_if_its_writer_exited, as_if_written_by, rename_failing, started
from tests.pipelines.test_pipelines_contracts import fingerprint_before_optional_in_file

runner = CliRunner()
HEADER = "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel"


@pytest.fixture
def steward(tmp_path: Path, warehouse_url: str, monkeypatch) -> Path:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    new_key(tmp_path / "abord.key")
    return tmp_path


def _tenancies(directory: Path, rows: list[str]) -> Path:
    path = directory / "landing" / "housing" / "tenancies_2025-12.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("latin-1"))
    return path


def test_ingest_loads_one_extract_and_prints_its_summary(steward: Path) -> None:
    path = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    result = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)])
    assert result.exit_code == 0, result.output
    assert "loaded" in result.output and "read       2" in result.output and "quarantined     1" in result.output
    again = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)])
    assert "already_loaded" in again.output and "the same bytes as batch 1 (tenancies_2025-12.csv)" in again.output


def test_ingest_names_an_unknown_source_and_fails_on_a_rejected_file(steward: Path) -> None:
    path = _tenancies(steward, [])
    unknown = runner.invoke(app, ["ingest", "--source", "nowhere", str(path)])
    assert unknown.exit_code == 2 and "unknown source 'nowhere'" in unknown.output
    rejected = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)])
    assert rejected.exit_code == 1 and "rejected" in rejected.output and "a header but no rows" in rejected.output
    no_file = runner.invoke(app, ["ingest", "--source", "housing_tenancies"])
    assert no_file.exit_code == 2 and "give the file to load" in no_file.output
    folder = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path.parent)])
    assert folder.exit_code == 2 and "is a folder" in folder.output


def test_ingest_refuses_a_resend_keeping_under_half_its_month_until_told_to_replace_it(steward, warehouse_url) -> None:
    month = _tenancies(steward, [f"B{i};P{i};Lyon;03/02/2021;;;400,00" for i in range(150)])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(month)]).exit_code == 0
    late = month.with_name("tenancies_tardif_2025-12.csv")
    late.write_bytes(f"{HEADER}\r\nL1;PL1;Lyon;03/10/2025;;;400,00\r\nL2;PL2;Lyon;31/10/2025;;;x\r\n".encode())
    command = ["ingest", "--source", "housing_tenancies", str(late)]

    refused = runner.invoke(app, command)

    assert refused.exit_code == 1 and "rejected" in refused.output
    assert "the 150 rows of period 2025-12 loaded from tenancies_2025-12.csv (batch 1) by 1 (of 2" in refused.output
    assert "send the whole month again" in refused.output and "--replace-period" in refused.output
    forced = runner.invoke(app, [*command, "--replace-period"])
    assert forced.exit_code == 0, forced.output
    assert "loaded" in forced.output and "replaces batch 1" in forced.output
    # the models still hold the month as it was: the steward is told how to refresh them
    assert "refresh the models with `abord dbt build` (or run the Dagster job `refresh`)" in forced.output
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select count(*) from raw.housing_tenancies").fetchone() == (1,)
        query = "select status, batch_id from audit.batches where file_name = %s"
        batches = dict(conn.execute(query, (late.name,)).fetchall())
    # the quarantine file of that name is the loaded batch's row to fix, not the refused batch's message
    listed = runner.invoke(app, ["quarantine", "list"]).output.splitlines()
    assert [line.split()[0] for line in listed[1:] if not line.startswith(" " * 8)] == [str(batches["loaded"])]
    assert runner.invoke(app, ["quarantine", "show", str(batches["rejected"])]).output.splitlines()[-1] == (
        f"loaded since from a file of its name as batch {batches['loaded']}: its quarantine file is that batch's"
    )


def test_ingest_under_another_key_file_is_refused_before_anything_is_written(steward: Path, warehouse_url) -> None:
    first = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(first)]).exit_code == 0
    (steward / "abord.key").unlink()
    new_key(steward / "abord.key")  # another machine's key file, restored by mistake
    second = first.with_name("tenancies_2026-01.csv")
    second.write_bytes(first.read_bytes().replace(b"B1;P1", b"B2;P2"))
    result = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(second)])
    assert result.exit_code == 2 and "not the key the warehouse's identities were made with" in result.output
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select file_name from audit.batches").fetchall() == [(first.name,)]


def test_ingest_packs_an_hmis_export_folder_and_loads_it_once(steward: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_CONTRACT_VARIANTS", "hmis")
    folder = steward / "landing" / "housing" / "hmis_2025-12"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(hmis_zip())) as archive:
        archive.extractall(folder)
    result = runner.invoke(app, ["ingest", "--source", "housing_participants", str(folder)])
    assert result.exit_code == 0, result.output
    assert "hmis_2025-12.zip" in result.output and "loaded       2" in result.output
    again = runner.invoke(app, ["ingest", "--source", "housing_participants", str(folder)])
    assert "already_loaded" in again.output


def _hmis_folder(steward: Path, month: str, **export) -> Path:
    folder = steward / "landing" / "housing" / f"hmis_{month}"
    folder.mkdir(parents=True)
    if export:
        with zipfile.ZipFile(io.BytesIO(hmis_zip(**export))) as archive:
            archive.extractall(folder)
    return folder


def test_ingest_refuses_an_hmis_export_folder_in_one_line_recording_what_a_run_records(
    steward: Path, warehouse_url: str, monkeypatch
) -> None:
    """A folder with no CSV file raised a FileRejected traceback; one missing Client.csv is a rejected batch."""
    monkeypatch.setenv("ABORD_CONTRACT_VARIANTS", "hmis")
    empty = _hmis_folder(steward, "2025-11")
    no_client = _hmis_folder(steward, "2025-12", leave_out="Client")
    for folder, why in (
        (empty, "hmis_2025-11: no CSV file in this export folder"),
        (no_client, "hmis_2025-12.zip: Client.csv is not in the export"),
    ):
        result = runner.invoke(app, ["ingest", "--source", "housing_participants", str(folder)])
        assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
        (line,) = result.stdout.splitlines()
        assert line.startswith("housing_participants") and " rejected " in line and line.endswith(why)
    assert sorted(p.name for p in empty.parent.iterdir()) == ["hmis_2025-11", "hmis_2025-12", "hmis_2025-12.zip"]
    ledger = "select file_name, status from audit.batches"
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute(ledger).fetchall() == [("hmis_2025-12.zip", "rejected")]
    run = ingest_batches(AbordResource(), load_contracts(variants=("hmis",))["housing_participants"])
    assert [s.status for s in run] == ["already_rejected"], "a run records nothing more, the empty folder waits"
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute(ledger).fetchall() == [("hmis_2025-12.zip", "rejected")]


def test_ingest_says_an_hmis_export_folder_changed_while_packed_as_a_run_says_it(steward: Path, monkeypatch) -> None:
    """The CLI wrote the bare message to stderr; a run logs it as a `changed` summary line."""
    monkeypatch.setenv("ABORD_CONTRACT_VARIANTS", "hmis")
    folder = _hmis_folder(steward, "2025-12", version="FY2026")
    real = hmis_export.shutil.copyfileobj

    def copy_goes_on(source, sink, length):
        real(source, sink, length)
        with (folder / "Client.csv").open("a") as handle:
            handle.write("\n")

    monkeypatch.setattr(hmis_export.shutil, "copyfileobj", copy_goes_on)
    result = runner.invoke(app, ["ingest", "--source", "housing_participants", str(folder)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    (run,) = ingest_batches(AbordResource(), load_contracts(variants=("hmis",))["housing_participants"])
    assert result.stdout == f"{run.line()}\n" and "changed while it was packed" in run.line()
    assert [p.name for p in folder.parent.iterdir()] == ["hmis_2025-12"], "no ZIP, no partial left"


def test_an_hmis_export_folder_with_a_file_that_cannot_be_read_is_refused_naming_it(
    steward: Path, warehouse_url: str, monkeypatch
) -> None:
    """A file locked, or without read permission, while the folder is packed ended in a traceback. The tests run as
    root, who reads any file: the permission error is raised as the OS would."""
    monkeypatch.setenv("ABORD_CONTRACT_VARIANTS", "hmis")
    folder = _hmis_folder(steward, "2025-12", version="FY2026")
    deny_opening(monkeypatch, lambda path: path.name == "Client.csv")
    result = runner.invoke(app, ["ingest", "--source", "housing_participants", str(folder)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    (run,) = ingest_batches(AbordResource(), load_contracts(variants=("hmis",))["housing_participants"])
    assert result.stdout == f"{run.line()}\n" and run.status == "rejected"
    assert run.message.startswith("hmis_2025-12: packing it failed on hmis_2025-12/Client.csv: Permission denied")
    assert [p.name for p in folder.parent.iterdir()] == ["hmis_2025-12"], "no ZIP, no partial left"
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,), "nothing recorded"


def test_ingest_of_a_file_the_abord_user_cannot_read_names_it_and_fails(
    steward: Path, warehouse_url: str, monkeypatch
) -> None:
    """A PermissionError traceback; as root, the tests raise it as the OS would."""
    path = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00"])
    deny_opening(monkeypatch, lambda file: file == path)
    result = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)])
    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    assert " unreadable " in result.stdout
    assert "tenancies_2025-12.csv cannot be read: Permission denied" in result.stdout
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select count(*) from audit.batches").fetchone() == (0,), "nothing recorded"


def test_contracts_check_passes_the_shipped_ones_and_names_file_and_key(tmp_path: Path) -> None:
    result = runner.invoke(app, ["contracts", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok ") == len(load_contracts())
    (tmp_path / "good.yml").write_text(
        'name: good\npartner: p\nfile_pattern: "p/*.csv"\nperiod_pattern: "_(\\\\d{6})"\nformat: {type: csv}\n'
        "columns: [{name: id, role: record_id}]\n"
    )
    (tmp_path / "bad.yml").write_text(
        (tmp_path / "good.yml")
        .read_text()
        .replace("name: good", "name: bad")
        .replace("{type: csv}", "{type: csv, x: 1}")
    )
    result = runner.invoke(app, ["contracts", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "ok     good" in result.output
    assert f"{tmp_path / 'bad.yml'}: 'format' has an unknown key 'x'" in result.output
    (tmp_path / "latin.yml").write_bytes(b"name: latin\ndescription: Donn\xe9es\n")
    result = runner.invoke(app, ["contracts", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and f"{tmp_path / 'latin.yml'}: line 2: not UTF-8 text" in result.output
    (tmp_path / "lacking.yml").write_text(
        (tmp_path / "good.yml")
        .read_text()
        .replace("name: good", "name: lacking")
        .replace("role: record_id", "role: record_id, optional_in_file: true")
    )
    result = runner.invoke(app, ["contracts", "check", "--dir", str(tmp_path)])
    assert f"{tmp_path / 'lacking.yml'}: column 'id': an 'optional_in_file' column must be" in result.output
    nowhere = runner.invoke(app, ["contracts", "check", "--dir", str(tmp_path / "nowhere")])
    # click's usage error in rich's box, wrapped at the terminal's width wherever the temporary path's length puts it
    said = " ".join(nowhere.output.translate({ord(c): " " for c in "│╭╮╰╯─"}).split())
    assert nowhere.exit_code == 2 and "does not exist" in said


def _nir(body: str) -> str:
    return f"{body}{97 - int(body) % 97:02d}"


def test_contracts_draft_sniffs_the_format_and_flags_identifiers(tmp_path: Path) -> None:
    header = ";".join(
        [
            "Numéro dossier",
            "Nom",
            "Prénom",
            "Date de naissance",
            "Téléphone",
            "Contact",
            "Sécu",
            "Adresse",
            "Code postal",
        ]
        + ["Site", "Date entrée", "Montant", "Commentaire"]
    )
    rows = []
    for i in range(40):
        rows.append(
            ";".join(
                [
                    f"D{i:04d}",
                    f"Nom{chr(65 + i % 26)}ez",
                    "Élodie",
                    f"{1 + i % 28:02d}/0{1 + i % 9}/{1950 + i}",
                    f"06 12 34 {i:02d} 78",
                    f"personne{i}@exemple.fr",
                    _nir(f"1{80 + i % 10:02d}0{1 + i % 9}75{i:03d}{i:03d}"),
                    f"{i} rue de la Paix",
                    f"690{i % 10:02d}",
                    ["Lyon", "Grenoble", "Saint-Étienne"][i % 3],
                    f"{1 + i % 28:02d}/03/2024",
                    f"{100 + i},50",
                    "Rencontre avec la personne au local, elle souhaite un logement près de sa famille.",
                ]
            )
        )
    sample = tmp_path / "partenaire" / "suivi_2025-11.csv"
    sample.parent.mkdir()
    sample.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("cp1252"))
    out = tmp_path / "draft.yml"

    result = runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(out)])

    assert result.exit_code == 0, result.output
    contract = load_contract(out)  # a draft is a valid contract
    roles = {c.name: c.role for c in contract.columns}
    assert roles == {
        "Numéro dossier": "record_id",
        "Nom": "family_name",
        "Prénom": "given_name",
        "Date de naissance": "birth_date",
        "Téléphone": "phone",
        "Contact": "email",  # by content: the name says nothing
        "Sécu": "nir",
        "Code postal": "postcode",
        "Site": "attribute",
        "Date entrée": "attribute",
        "Montant": "attribute",
        "Commentaire": "free_text",
    }
    assert "Adresse" not in roles and "left out" in out.read_text()
    # not read at all, where its note said "read for linkage"
    assert '# left out: "Adresse" (an address or bank details, by column name: no role takes it, never read)' in (
        out.read_text()
    )
    fmt = contract.format
    assert (fmt.delimiter, fmt.encoding, fmt.decimal, fmt.date_format) == (";", "cp1252", ",", "%d/%m/%Y")
    assert contract.column("Site").allowed == ("Grenoble", "Lyon", "Saint-Étienne")
    assert contract.column("Montant").type == "decimal" and contract.column("Date entrée").type == "date"
    assert contract.period_of("suivi_2025-12.csv") == "2025-12" and contract.file_pattern == "partenaire/suivi_*.csv"
    assert "REVIEW" in out.read_text()


def test_quarantine_list_show_and_retry(steward: Path) -> None:
    path = _tenancies(
        steward,
        ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00", "B3;P3;Lyon;01/01/2024;;vacances;1,0"],
    )
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0

    listed = runner.invoke(app, ["quarantine", "list"])
    assert listed.exit_code == 0, listed.output
    assert "tenancies_2025-12.csv" in listed.output and "invalid_date 1" in listed.output
    assert "not_allowed 1" in listed.output
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    assert str(quarantine) in listed.output

    shown = runner.invoke(app, ["quarantine", "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert "row      2  date_debut           invalid_date" in shown.output
    assert "'vacances' is not one of" in shown.output

    def fix(column: str, value: str) -> None:  # the first row still in the file
        with quarantine.open(encoding="utf-8", newline="") as handle:
            lines = list(csv.DictReader(handle))
        lines[0][column] = value
        with quarantine.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
            writer.writeheader()
            writer.writerows(lines)

    fix("date_debut", "28/02/2021")
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert retried.exit_code == 0, retried.output
    assert "loaded" in retried.output and "read       2" in retried.output and "loaded       1" in retried.output
    listed = runner.invoke(app, ["quarantine", "list"]).output  # what is left to fix, not what was
    assert "not_allowed 1" in listed and "invalid_date" not in listed
    assert "left to fix 1; reasons: not_allowed 1" in runner.invoke(app, ["quarantine", "show", "1"]).output
    fix("motif_sortie", "")
    assert "loaded       1" in runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output

    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"
    assert "tenancies_2025-12.csv" in runner.invoke(app, ["quarantine", "list", "--all"]).output
    assert "nothing left to fix" in runner.invoke(app, ["quarantine", "show", "1"]).output
    missing = runner.invoke(app, ["quarantine", "show", "99"])
    assert missing.exit_code == 1 and "no batch 99" in missing.output
    refused = runner.invoke(app, ["quarantine", "retry", str(steward / "nowhere.rejected.csv")])
    assert refused.exit_code == 1 and "not a quarantine file" in refused.output


def _quarantined(steward: Path) -> Path:
    """A loaded batch's quarantine file, holding one row to fix."""
    path = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    return steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"


def _contacts_quarantined(steward: Path) -> Path:
    """An append source's loaded batch with one row to fix."""
    path = steward / "landing" / "housing" / "support_2025-12.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["id_contact;id_participant;date_contact;duree_minutes;type_contact", "C1;P1;03/02/2025;30;entretien"]
    path.write_bytes(("\r\n".join([*rows, "C2;P1;31/02/2025;30;entretien"]) + "\r\n").encode("cp1252"))
    assert runner.invoke(app, ["ingest", "--source", "housing_support_contacts", str(path)]).exit_code == 0
    return steward / "quarantine" / "housing_support_contacts" / "support_2025-12.csv.rejected.csv"


def test_a_retry_takes_its_source_from_the_quarantine_folder_even_through_a_link(steward: Path) -> None:
    """A source's quarantine folder a link to another disk, named otherwise: the command line resolves the file it
    is given, and the retry took its source from the resolved folder's name, refusing it as not a quarantine file. A
    copy in a folder named for the source elsewhere was taken for it, the rows left written over the copy."""
    elsewhere = steward / "other_disk" / "tenancies_to_fix"
    elsewhere.mkdir(parents=True)
    (steward / "quarantine").mkdir()
    (steward / "quarantine" / "housing_tenancies").symlink_to(elsewhere)
    quarantine = _quarantined(steward)
    assert (elsewhere / quarantine.name).is_file()
    copy = steward / "desktop" / "housing_tenancies" / quarantine.name
    copy.parent.mkdir(parents=True)
    fixed = quarantine.read_bytes().replace(b"31/02/2021", b"28/02/2021")  # its start date fixed
    copy.write_bytes(fixed)
    refused = runner.invoke(app, ["quarantine", "retry", str(copy)])
    assert refused.exit_code == 1 and "not a quarantine file" in refused.output, refused.output

    quarantine.write_bytes(fixed)
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert retried.exit_code == 0 and "loaded       1" in retried.output, retried.output
    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"


@pytest.mark.parametrize(
    ("quarantined", "original"),
    [(_quarantined, "tenancies_2025-12.csv"), (_contacts_quarantined, "support_2025-12.csv")],
    ids=["snapshot", "append"],
)
def test_a_quarantine_file_emptied_to_its_header_is_not_retried_and_says_how_to_give_up_its_rows(
    steward: Path, warehouse_url: str, quarantined, original: str
) -> None:
    """The steward deleted the rows they could not fix. A snapshot source's retry was rejected as no_rows, 'a header
    but no rows (it would empty the period)', though a retry replaces no period; an append source's loaded nothing
    and deleted the file, its rows to fix gone without a word. It is refused, nothing recorded, the file left as it
    is; deleting it gives them up, still counted as quarantined."""
    quarantine = quarantined(steward)
    header = quarantine.read_bytes().splitlines(keepends=True)[0]
    quarantine.write_bytes(header)  # every row taken out
    refused = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert isinstance(refused.exception, SystemExit) and refused.exit_code == 1, refused.output
    assert "empty the period" not in refused.output
    assert f"{quarantine.name}: no rows in it to retry (batch 1 of {original} has 1 row(s) to fix)" in refused.output
    assert f"to give up the others, delete {quarantine}: they stay counted as quarantined" in refused.output
    assert quarantine.read_bytes() == header
    with psycopg.connect(warehouse_url) as conn:
        ledger = conn.execute("select batch_id, rows_read, rows_loaded, rows_quarantined from audit.batches")
        assert ledger.fetchall() == [(1, 2, 1, 1)]
    assert "left to fix 1; reasons: invalid_date 1" in runner.invoke(app, ["quarantine", "show", "1"]).output

    quarantine.unlink()  # the steward gives them up
    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"
    listed = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    assert listed[1].split()[4] == "0" and listed[1].endswith("invalid_date 1; 1 given up"), listed


def _resubmit(quarantine: Path, keep: dict[str, dict[str, str]], added: list[dict[str, str]]) -> None:
    """The steward's edit: the lines of the source rows in ``keep`` fixed with their values, the others deleted,
    and ``added`` lines (copies of the first with these values) put in."""
    with quarantine.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    kept = [{**line, **keep[line["source_row"]]} for line in lines if line["source_row"] in keep]
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows([*kept, *({**lines[0], **values} for values in added)])


def _ledger(url: str) -> list[tuple[int, int, int, int, int]]:
    """(batch, rows read, loaded, quarantined, given up) per batch."""
    with psycopg.connect(url) as conn:
        query = "select batch_id, rows_read, rows_loaded, rows_quarantined, rows_given_up from audit.batches order by 1"
        return conn.execute(query).fetchall()


FIXED = {"date_debut": "28/02/2021"}
ADDED = {"source_row": "4", "id_bail": "B4", "id_participant": "P4", **FIXED}


@pytest.mark.parametrize(
    ("keep", "added", "given_up"),
    [({"2": FIXED}, [], 1), ({"2": FIXED}, [ADDED], 1), ({"2": FIXED, "3": FIXED}, [ADDED], 0)],
    ids=["one_deleted", "one_deleted_one_added", "one_added"],
)
def test_a_retry_says_the_rows_to_fix_deleted_from_its_file_are_given_up(
    steward: Path, warehouse_url: str, keep, added, given_up: int
) -> None:
    """The steward deleted the rows they could not fix and retried the others: the deleted ones dropped out of the
    rows to fix without a word. They are named by their source rows, not counted: a row added to the file (refused,
    not to fix) neither hides one deleted nor gives up a negative number. They stay counted as quarantined in the
    batch they were read in, never loaded; every batch still adds up."""
    path = _tenancies(
        steward,
        ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00", "B3;P3;Lyon;30/02/2021;;;400,00"],
    )
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    _resubmit(quarantine, keep, added)

    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])

    assert retried.exit_code == 0, retried.output
    note = f"gives up {given_up} row(s) to fix not in the file: they stay counted as quarantined, never loaded"
    assert (note in retried.output) == bool(given_up), retried.output
    assert ("gives up" in retried.output) == bool(given_up)
    read, left = len(keep) + len(added), len(added)
    assert _ledger(warehouse_url) == [(1, 3, 1, 2, 0), (2, read, len(keep), left, given_up)]
    # what is left is the line added, to delete: no row to fix
    listed = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    assert listed[1].split()[:5] == ["1", "housing_tenancies", "tenancies_2025-12.csv", "loaded", "0"]
    assert listed[1].endswith(f"{given_up} given up") == bool(given_up), listed
    assert ("; 1 to delete (not_to_fix)" in listed[1]) == bool(added), listed
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    counts = "left to fix 0" + ", to delete 1 (not_to_fix)" * len(added) + f", given up {given_up}" * bool(given_up)
    assert f"rows read 3, {counts}; reasons: {'not_to_fix 1' if added else 'none'}" in shown, shown


NOT_TO_FIX_ADDED = {  # a line the steward put in the quarantine file: each is refused, never loaded
    "new_number": {"source_row": "9", "id_bail": "B9", "id_participant": "P9"},
    "loaded_row_number": {"source_row": "1", "id_bail": "B5", "id_participant": "P5"},
    "row_to_fix_twice": {"id_bail": "B5", "id_participant": "P5"},  # a second line of source row 2
}


@pytest.mark.parametrize("kind", list(NOT_TO_FIX_ADDED))
def test_a_retry_refuses_a_line_added_to_its_file_as_not_to_fix(steward: Path, warehouse_url: str, kind) -> None:
    """A line the steward added to a quarantine file was loaded as if the partner had sent it: under a new number,
    or the number of a row loaded already, as a second row of that number; twice under a row to fix, the retry
    stopped on the raw table's key. It is quarantined again, not_to_fix, naming file, line and source_row: rows read
    = loaded + quarantined, and it never becomes a row to fix (refused again, and never given up)."""
    path = _tenancies(
        steward,
        ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00", "B3;P3;Lyon;30/02/2021;;;400,00"],
    )
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    added = {"source_row": "2", **FIXED, **NOT_TO_FIX_ADDED[kind]}
    number = added["source_row"]

    def retry_and_read(expected: str) -> list[tuple[str, str, str]]:
        retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
        assert retried.exit_code == 0 and expected in retried.output and "gives up" not in retried.output, retried
        with quarantine.open(encoding="utf-8", newline="") as handle:
            return [(line["source_row"], line["reason_code"], line["message"]) for line in csv.DictReader(handle)]

    _resubmit(quarantine, {"2": FIXED, "3": {}}, [added])  # row 2 fixed, row 3 not yet, a line added (line 4)
    why = "appears twice: line 2 came first" if kind == "row_to_fix_twice" else "is not one of batch 1's rows to fix"
    first = retry_and_read("read       3  loaded       1  quarantined     2")
    assert first[0][:2] == ("3", "invalid_date")
    assert first[1][:2] == (number, "not_to_fix") and first[1][2].startswith(
        f"{quarantine.name}: line 4: source_row {number} {why}"
    )
    (listed,) = runner.invoke(app, ["quarantine", "list"]).output.splitlines()[1:2]  # one to fix, one to delete
    assert listed.split()[4] == "1" and listed.endswith("  invalid_date 1, not_to_fix 1; 1 to delete (not_to_fix)")
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "rows read 3, left to fix 1, to delete 1 (not_to_fix); reasons: invalid_date 1, not_to_fix 1" in shown

    _resubmit(quarantine, {"3": {}, number: {}}, [])  # left as it was: the added line is refused again
    second = retry_and_read("read       2  loaded       0  quarantined     2")
    assert second[1][1:] == ("not_to_fix", f"{quarantine.name}: line 3: source_row {number} is not one of batch 1's"
                             " rows to fix (loaded, given up, or added to the file)")  # fmt: skip

    _resubmit(quarantine, {"3": FIXED}, [])  # row 3 fixed, the added line deleted: no row to fix given up
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert "read       1  loaded       1  quarantined     0" in retried.output and "gives up" not in retried.output
    assert _ledger(warehouse_url) == [(1, 3, 1, 2, 0), (2, 3, 1, 2, 0), (3, 2, 0, 2, 0), (4, 1, 1, 0, 0)]
    with psycopg.connect(warehouse_url) as conn:  # the partner's three rows, each once: nothing of the added line
        loaded = conn.execute("select batch_id, source_row from raw.housing_tenancies order by 1, 2").fetchall()
    assert loaded == [(1, 1), (2, 2), (4, 3)]
    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"


def test_a_second_retry_gives_up_only_rows_the_first_left_to_fix(steward: Path, warehouse_url: str) -> None:
    """The rows to fix are those of the batch's latest retry: rows the first loaded are not given up by the second.
    `quarantine list --all` and `show` say how many rows the batch's retries gave up in all."""
    path = _tenancies(steward, [f"B{i};P{i};Lyon;30/02/2021;;;400,00" for i in range(1, 5)])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    _resubmit(quarantine, {"2": FIXED, "3": {}, "4": {}}, [])  # row 1 given up, 3 and 4 left as they were
    first = runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    assert "quarantined     2  gives up 1 row(s) to fix" in first, first
    _resubmit(quarantine, {"4": FIXED}, [])  # row 3 given up
    second = runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    assert "loaded       1  quarantined     0  gives up 1 row(s) to fix" in second, second

    assert _ledger(warehouse_url) == [(1, 4, 0, 4, 0), (2, 3, 1, 2, 1), (3, 1, 1, 0, 1)]
    assert runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()[1].endswith("  2 given up")
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "rows read 4, left to fix 0, given up 2; reasons: none" in shown, shown


def test_quarantine_list_and_show_take_the_rows_to_fix_from_the_latest_loaded_retry(
    steward: Path, warehouse_url: str
) -> None:
    """A retry rejected as a whole (an older abord's, its file saved emptied as it was read: no_rows) loads nothing
    and quarantines nothing again: the rows to fix are still those the loaded retry before it left, and `quarantine
    retry` takes them from there. `list` and `show` took them from the latest retry whatever its status: 0 to fix
    and its no_rows, beside a file holding two rows to fix; and a re-send of the file's name rejected since was
    listed too, pointing at that file as if its own."""
    path = _tenancies(steward, [f"B{i};P{i};Lyon;30/02/2021;;;400,00" for i in range(1, 4)])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    _resubmit(quarantine, {"1": FIXED, "2": {}, "3": {}}, [])
    assert "loaded       1  quarantined     2" in runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:  # as an older abord recorded it: this one
        # refuses a file saved again as it is retried before recording anything
        tenancies = load_contracts()["housing_tenancies"]
        rejected = record_batch(cur, tenancies, quarantine.name, "0" * 64, "2025-12", (0, 0, 0), "rejected", 1)
        record_rejections(cur, rejected, [(0, None, "no_rows")])
    assert _ledger(warehouse_url) == [(1, 3, 0, 3, 0), (2, 3, 1, 2, 0), (3, 0, 0, 0, 0)]

    def listed() -> list[str]:
        lines = runner.invoke(app, ["quarantine", "list"]).output.splitlines()
        return [line for line in lines[1:] if not line.startswith(" " * 8)]

    (line,) = listed()
    assert line.split()[:5] == ["1", "housing_tenancies", "tenancies_2025-12.csv", "loaded", "2"], line
    assert line.endswith("  invalid_date 2"), line
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "rows read 3, left to fix 2; reasons: invalid_date 2" in shown and f"file: {quarantine}" in shown, shown

    path.write_bytes(b"id_bail;site\r\nB1;Lyon\r\n")  # the same name, a column missing: its file is batch 1's
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 1
    assert [line.split()[0] for line in listed()] == ["1"]
    assert "loaded before as batch 1 has rows to fix" in runner.invoke(app, ["quarantine", "show", "4"]).output

    _resubmit(quarantine, {"2": FIXED, "3": FIXED}, [])
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    assert "loaded       2  quarantined     0" in retried and "gives up" not in retried, retried
    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"


@pytest.mark.parametrize("ended", ["exited", "its id names another process"])
def test_a_quarantine_file_whose_rename_failed_is_pending_not_given_up(
    steward: Path, warehouse_url: str, monkeypatch, ended: str
):
    """Its batch committed, its rename into place failed: the partial file, the only copy of the rows to fix, waits
    for the source's next load. list left the batch out, show said the steward deleted the file and gave the rows
    up, a retry refused as much. They now name the partial file and what puts it in place; a retry once its writer
    has ended puts it there and reads it, also when its process id names another process since (a reboot, ids
    wrapping): a retry refused that one for ever."""
    path = _tenancies(steward, ["B1;P1;Lyon;30/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    ctx = ingest_context(get_settings())
    load = functools.partial(ingest_file, ctx, ctx.contracts["housing_tenancies"], path)
    kept = rename_failing(ctx.quarantine_dir, monkeypatch, load)
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    pending = f"{quarantine.name} is not in place: its rows to fix are in {kept}"

    listed = runner.invoke(app, ["quarantine", "list"]).output
    assert listed.splitlines()[1].split()[:5] == ["1", "housing_tenancies", "tenancies_2025-12.csv", "loaded", "2"]
    assert pending in listed and "given up" not in listed, listed
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "left to fix 2;" in shown and pending in shown and f"file: {kept}" in shown, shown
    assert "given up" not in shown and "deleted" not in shown, shown
    ledger = _ledger(warehouse_url)
    refused = runner.invoke(app, ["quarantine", "retry", str(quarantine)])  # its writer, this process, still runs
    assert refused.exit_code == 1 and pending in refused.output and "given up" not in refused.output, refused.output
    assert _ledger(warehouse_url) == ledger

    with subprocess.Popen(["sleep", "60"]) as other:
        try:
            if ended == "exited":
                kept = as_if_its_writer_exited(kept)
            else:  # this process started before it did
                kept = as_if_written_by(kept, f"{other.pid}-{started()}")
            fixed = kept.read_bytes().replace(b"30/02/2021", b"28/02/2021").replace(b"31/02/2021", b"27/02/2021")
            kept.write_bytes(fixed)
            retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
        finally:
            other.kill()
    assert retried.exit_code == 0 and "loaded       2  quarantined     0" in retried.output, retried.output
    assert not kept.exists() and runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"


def test_a_quarantine_file_it_cannot_read_beside_a_pending_one_is_named_not_a_traceback(
    steward: Path, warehouse_url: str, monkeypatch
) -> None:
    """A retry's rename failed, the rows it left in its partial file, and the file it read, still in place, cannot
    be read (another owner's, in mode 0600): list, show and retry were a PermissionError traceback, reading the file
    in place to tell whether the partial file was to take its place; show was one for any quarantine file it cannot
    read. list names the file, show and retry say it cannot be read and fail."""
    path = _tenancies(steward, ["B1;P1;Lyon;30/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    quarantine.write_bytes(quarantine.read_bytes().replace(b"30/02/2021", b"28/02/2021"))  # one start date fixed
    ctx = ingest_context(get_settings())
    rename_failing(ctx.quarantine_dir, monkeypatch, functools.partial(retry_quarantine, ctx, quarantine))
    deny_opening(monkeypatch, lambda file: file == quarantine)

    listed = runner.invoke(app, ["quarantine", "list"])
    assert listed.exit_code == 0 and str(quarantine) in listed.output, listed.output
    for command in (["quarantine", "show", "1"], ["quarantine", "retry", str(quarantine)]):
        refused = runner.invoke(app, command)
        assert isinstance(refused.exception, SystemExit) and refused.exit_code == 1, refused.output
        assert f"{quarantine.name} cannot be read: Permission denied" in refused.output


def test_a_quarantine_file_deleted_gives_up_its_rows_to_fix(steward: Path, warehouse_url: str) -> None:
    """The refusal of an emptied file tells the steward to delete it to give its rows up; once deleted, nothing said
    so: `quarantine list --all` showed the batch with its rows to fix and no file, and show 'nothing left to fix',
    for ever. Its rows to fix now read as given up, added to those its retries gave up (a line the steward added,
    not to fix, is none of them); told from the file being gone, nothing written: a re-send of the period replaces
    the batch and its rows to fix as it did."""
    path = _tenancies(steward, [f"B{i};P{i};Lyon;30/02/2021;;;400,00" for i in range(1, 5)])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    _resubmit(quarantine, {"2": FIXED, "3": {}, "4": {}}, [{**ADDED, "source_row": "9", "id_bail": "B9"}])
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    assert "loaded       1  quarantined     3  gives up 1 row(s) to fix" in retried, retried  # row 1 deleted
    ledger = _ledger(warehouse_url)

    quarantine.unlink()  # rows 3 and 4 given up, and the added line with them

    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"
    listed = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    assert listed[1].split()[:5] == ["1", "housing_tenancies", "tenancies_2025-12.csv", "loaded", "0"], listed
    assert listed[1].endswith("; 3 given up") and len(listed) == 2, listed
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "rows read 4, left to fix 0, given up 3;" in shown, shown
    gone = f"{quarantine} deleted: batch 1's 2 row(s) to fix in it are given up, they stay counted as quarantined"
    assert f"{gone}, never loaded" in shown and "nothing left to fix" not in shown, shown
    refused = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert refused.exit_code == 1 and gone in refused.output, refused.output
    assert _ledger(warehouse_url) == ledger

    path.write_bytes(path.read_bytes().replace(b"30/02/2021", b"28/02/2021"))  # the period sent again
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "replaced by batch 3 (a re-send of its period)" in shown and "deleted" not in shown, shown
    # its history as its retry, replaced with it, left it: 4 read = 1 loaded + 1 given up + 2 to fix then (whether
    # the file was deleted before the re-send cannot be told); it said 'left to fix 4, given up 1; invalid_date 4'
    assert "rows read 4, left to fix 2 when replaced, given up 1; reasons: invalid_date 2, not_to_fix 1" in shown
    listed = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    assert listed[1].split()[:5] == ["1", "housing_tenancies", "tenancies_2025-12.csv", "replaced", "2"], listed
    assert listed[1].endswith("invalid_date 2, not_to_fix 1; 1 given up"), listed


def test_the_same_fix_retried_after_a_re_send_of_the_month_loads(steward: Path, warehouse_url: str) -> None:
    """The partner re-sent the month with the row the steward had fixed still wrong: its quarantine file is the
    first one again, and the steward fixes it the same way. The retry was refused as already loaded ('the same bytes
    as batch 2 ..., since replaced by batch 3'), though the re-send replaced that retry's rows: the row was never
    loaded into the month as it stands. A retry is the same bytes only as a loaded retry of the same batch."""
    quarantine = _quarantined(steward)
    _resubmit(quarantine, {"2": FIXED}, [])
    fixed = quarantine.read_bytes()
    assert runner.invoke(app, ["quarantine", "retry", str(quarantine)]).exit_code == 0
    assert not quarantine.exists()
    rows = ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00", "B3;P3;Lyon;03/02/2021;;;400,00"]
    path = _tenancies(steward, rows)  # re-sent, B2 still wrong
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    _resubmit(quarantine, {"2": FIXED}, [])
    assert quarantine.read_bytes() == fixed

    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert retried.exit_code == 0 and "loaded       1" in retried.output, retried.output
    with psycopg.connect(warehouse_url) as conn:
        current = (
            "select count(*) from raw.housing_tenancies where batch_id in (select batch_id from audit.current_batches)"
        )
        assert conn.execute(current).fetchone() == (3,)
    assert _ledger(warehouse_url)[3:] == [(4, 1, 1, 0, 0)]
    assert "already_loaded" in runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).output
    quarantine.write_bytes(fixed)  # the steward's copy saved back: the retry of the same batch it was
    again = runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output
    assert "already_loaded" in again and "the same bytes as batch 4" in again, again


def test_a_retry_of_a_file_retried_already_fails_saying_nothing_was_loaded(steward: Path, warehouse_url: str) -> None:
    """The steward's copy of a fixed quarantine file, retried again (a script run twice): it said already_loaded
    and exited 0, as a retry that loaded does, so a script or a scheduler took it for done. It exits 1, as a retry
    refused does, saying that nothing was loaded and why."""
    quarantine = _quarantined(steward)
    _resubmit(quarantine, {"2": FIXED}, [])
    fixed = quarantine.read_bytes()
    assert runner.invoke(app, ["quarantine", "retry", str(quarantine)]).exit_code == 0
    ledger = _ledger(warehouse_url)
    quarantine.write_bytes(fixed)

    again = runner.invoke(app, ["quarantine", "retry", str(quarantine)])

    assert isinstance(again.exception, SystemExit) and again.exit_code == 1, again.output
    assert " already_loaded " in again.stdout and "the same bytes as batch 2" in again.stdout, again.output
    assert (
        f"{quarantine.name}: nothing loaded, batch 2 retried these same bytes already (`abord quarantine list` says"
        " what is left to fix)" in again.stderr
    ), again.output
    assert _ledger(warehouse_url) == ledger


def test_a_retry_of_a_file_a_retry_rejected_fails_saying_nothing_was_loaded(steward: Path, warehouse_url: str) -> None:
    """The same bytes as a retry rejected as a whole (an older abord's, no_rows) under the same contract: it said
    already_rejected and exited 0, as a retry that loaded does. It exits 1, saying that nothing was loaded and what
    to do."""
    quarantine = _quarantined(steward)
    _resubmit(quarantine, {"2": FIXED}, [])
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        sha = hashlib.sha256(quarantine.read_bytes()).hexdigest()
        tenancies = load_contracts()["housing_tenancies"]
        rejected = record_batch(cur, tenancies, quarantine.name, sha, "2025-12", (0, 0, 0), "rejected", 1)
        record_rejections(cur, rejected, [(0, None, "no_rows")])
    ledger = _ledger(warehouse_url)

    again = runner.invoke(app, ["quarantine", "retry", str(quarantine)])

    assert isinstance(again.exception, SystemExit) and again.exit_code == 1, again.output
    assert " already_rejected " in again.stdout and "the same bytes as batch 2" in again.stdout, again.output
    assert "rejected (no_rows) under this same contract" in again.stdout, again.output
    assert (
        f"{quarantine.name}: nothing loaded, batch 2 rejected these same bytes already (they would be again): fix the"
        " file and retry it" in again.stderr
    ), again.output
    assert _ledger(warehouse_url) == ledger


@pytest.mark.parametrize(
    "number", ["", "deux", "0", "-2", "2147483648"], ids=["emptied", "words", "file_row", "negative", "past_integer"]
)
def test_a_retry_refuses_a_source_row_no_row_was_written_with(steward: Path, warehouse_url: str, number: str) -> None:
    """A source_row emptied or not a number tells no row: the retry is refused naming file and line, as it was. One
    no row is written with was loaded under it (a negative one), stopped the load on an SQL error (past the integer
    the ledger holds), or was skipped unread as a whole file's reason and the row deleted with the file (0)."""
    quarantine = _quarantined(steward)
    _resubmit(quarantine, {"2": {**FIXED, "source_row": number}}, [])
    edited = quarantine.read_bytes()

    for command in (["quarantine", "retry", str(quarantine)], ["quarantine", "show", "1"]):
        refused = runner.invoke(app, command)
        assert isinstance(refused.exception, SystemExit) and refused.exit_code == 1, refused.output
        assert f"{quarantine.name}: line 2: source_row must keep the row number it was written with" in refused.output
    assert quarantine.read_bytes() == edited
    assert _ledger(warehouse_url) == [(1, 2, 1, 1, 0)]


def test_quarantine_retry_of_a_file_it_cannot_read_names_it_and_fails(steward: Path, monkeypatch) -> None:
    """A PermissionError as the retry reads the file was a traceback; at ingestion's sha256, a second read since
    gone (the retry reads the file once), it said unreadable with exit 0 and that a run would read it (no run reads
    a quarantine file). As root, the tests raise it as the OS would."""
    quarantine = _quarantined(steward)
    to_fix = quarantine.read_bytes()
    with monkeypatch.context() as patched:
        deny_opening(patched, lambda file: file == quarantine)
        locked = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert isinstance(locked.exception, SystemExit) and locked.exit_code == 1, locked.output
    assert " unreadable " in locked.stdout and f"{quarantine.name} cannot be read: Permission denied" in locked.stdout
    assert "once the abord user can read it, `abord quarantine retry` reads it" in locked.stdout
    assert quarantine.read_bytes() == to_fix, "left as it was"
    assert "left to fix 1; reasons: invalid_date 1" in runner.invoke(app, ["quarantine", "show", "1"]).output


SAVED_AS_RETRIED = {  # what the steward's spreadsheet saves over a quarantine file as it is retried, and a retry of it
    "emptied": "no rows in it to retry (batch 1 of tenancies_2025-12.csv has 1 row(s) to fix)",
    "with_semicolons": "line 1 is not the header of a quarantine file",
    "fixed": "read       1  loaded       1  quarantined     0",
}


@pytest.mark.parametrize(
    ("step", "saved"),
    [(ONCE_READ, "emptied"), (AS_ITS_BATCH_BEGINS, "with_semicolons"), (AS_ITS_BATCH_COMMITS, "fixed")],
    ids=["emptied_once_read", "unreadable_as_its_batch_begins", "fixed_as_its_batch_commits"],
)
def test_a_quarantine_file_saved_again_as_it_is_retried_is_left_as_saved(
    steward: Path, warehouse_url: str, monkeypatch, step, saved: str
) -> None:
    """The retry read the file again and again: emptied after its first look, it was recorded rejected (no_rows),
    all its rows given up; saved in another shape as its batch began, a traceback; fixed as its batch loaded, the
    rows it had read were put in its place, the steward's fix lost. It reads the file once, and a save since then
    refuses its batch before it commits: nothing recorded, the file as saved, and the next retry reads that."""
    quarantine = _quarantined(steward)
    lines = quarantine.read_bytes().splitlines(keepends=True)
    versions = {
        "emptied": lines[0],
        "with_semicolons": b"".join(lines).replace(b",", b";"),
        "fixed": lines[0] + lines[1].replace(b"31/02/2021", b"28/02/2021"),
    }
    with monkeypatch.context() as patched:
        save_over_as(patched, step, quarantine, versions[saved])
        retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])

    assert isinstance(retried.exception, SystemExit) and retried.exit_code == 1, retried.output
    assert quarantine.name in retried.stdout
    assert "changed while it was retried (saved again, or a person's" in retried.stdout, retried.output
    assert quarantine.read_bytes() == versions[saved]
    assert _ledger(warehouse_url) == [(1, 2, 1, 1, 0)]
    assert SAVED_AS_RETRIED[saved] in runner.invoke(app, ["quarantine", "retry", str(quarantine)]).output


def test_quarantine_says_a_batch_outdated_by_a_later_period_has_nothing_to_retry(steward: Path) -> None:
    november = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    november = november.rename(november.with_name("tenancies_2025-11.csv"))
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(november)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-11.csv.rejected.csv"
    to_fix = quarantine.read_bytes()
    december = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00"])
    loaded = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(december)])
    assert loaded.exit_code == 0 and "outdates batch 1" in loaded.output

    assert runner.invoke(app, ["quarantine", "list"]).output.strip() == "nothing in quarantine"
    assert "outdated" in runner.invoke(app, ["quarantine", "list", "--all"]).output
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "tenancies_2025-11.csv (period 2025-11) outdated" in shown
    assert "outdated by batch 2 (a later period): its raw rows and rows to fix are gone, nothing to retry" in shown
    quarantine.write_bytes(to_fix)  # a copy the steward kept
    refused = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert refused.exit_code == 1
    assert "batch 1 of tenancies_2025-11.csv (period 2025-11) was outdated by batch 2" in refused.output
    again = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(november)])
    assert again.exit_code == 0 and "already_loaded" in again.output and "outdated by batch 2" in again.output


def test_a_hospital_export_without_its_discharge_mode_loads_and_the_steward_is_told(steward: Path) -> None:
    """discharge_mode is a column a hospital's file may lack (optional_in_file): its batch says it loaded it empty,
    as it loads, and later in `abord quarantine`."""
    header = (
        "encounter_id,family_name,given_name,birth_date,nir,sex,encounter_type,service,admission_date,discharge_date"
    )
    landing = steward / "landing" / "health"
    landing.mkdir(parents=True)
    november, december = landing / "encounters_2025-11.csv", landing / "encounters_2025-12.csv"
    november.write_text(f"{header}\nE1,Dupont,Hélène,1980-04-12,,F,urgence,general,2025-11-03,2025-11-03\n")
    december.write_text(f"{header}\nE2,Martin,Paul,1975-06-01,,X,urgence,general,2025-12-01,2025-12-01\n")
    for path, quarantined in ((november, 0), (december, 1)):
        loaded = runner.invoke(app, ["ingest", "--source", "health_encounters", str(path)])
        assert loaded.exit_code == 0, loaded.output
        assert loaded.output.rstrip().endswith(
            f"quarantined     {quarantined}  discharge_mode not in the file: loaded empty"
        )

    listed = runner.invoke(app, ["quarantine", "list"]).output.splitlines()
    (line,) = [line for line in listed[1:] if not line.startswith(" " * 8)]  # November has nothing to fix
    assert line.split()[:2] == ["2", "health_encounters"]
    assert line.endswith("not_allowed 1; discharge_mode not in the file: loaded empty")
    everything = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    (line,) = [line for line in everything if "encounters_2025-11.csv" in line]
    assert line.split()[:5] == ["1", "health_encounters", "encounters_2025-11.csv", "loaded", "0"]
    assert line.endswith("  discharge_mode not in the file: loaded empty")
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output.splitlines()
    assert shown[1:3] == ["rows read 1, left to fix 0; reasons: none", "discharge_mode not in the file: loaded empty"]


def test_contracts_draft_reads_json_lines_and_refuses_an_empty_sample(tmp_path: Path) -> None:
    sample = tmp_path / "probation" / "events_2025-12.jsonl"
    sample.parent.mkdir()
    lines = [f'{{"event_id": "J{i}", "email": "p{i}@exemple.fr", "kind": "{"ab"[i % 2]}"}}' for i in range(12)]
    sample.write_text("\n".join([*lines, "{broken"]) + "\n", encoding="utf-8")
    out = tmp_path / "draft.yml"
    assert runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(out)]).exit_code == 0
    contract = load_contract(out)
    assert contract.format.type == "jsonl" and contract.record_id.name == "event_id"
    assert contract.column("email").role == "email" and contract.column("kind").allowed == ("a", "b")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    refused = runner.invoke(app, ["contracts", "draft", str(empty)])
    assert refused.exit_code == 1 and "empty.csv: the file is empty" in refused.output


def test_quarantine_list_leaves_out_a_batch_a_re_send_replaced(steward: Path) -> None:
    first = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(first)]).exit_code == 0
    resent = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;410,00", "B2;P2;Lyon;30/02/2021;;;400,00"])
    loaded = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(resent)])
    assert loaded.exit_code == 0 and "replaces batch 1" in loaded.output

    # the quarantine file, of the same name, is batch 2's: batch 1's rows to fix went with its raw rows
    listed = runner.invoke(app, ["quarantine", "list"]).output
    assert [line.split()[0] for line in listed.splitlines()[1:] if not line.startswith(" " * 8)] == ["2"]
    everything = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    replaced = next(i for i, line in enumerate(everything) if line.split()[0] == "1")
    assert "replaced" in everything[replaced] and str(steward) not in everything[replaced + 1]


def test_quarantine_list_leaves_out_a_rejected_re_send_of_a_file_with_rows_to_fix(steward: Path) -> None:
    """The re-send's rejection keeps the loaded batch's quarantine file (its rows to fix are the only copy): both
    batches were listed pointing at it, as if the re-send's message were in it."""
    first = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(first)]).exit_code == 0
    first.write_bytes(b"id_bail;site\r\nB1;Lyon\r\n")  # the same name, a column missing
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(first)]).exit_code == 1

    listed = runner.invoke(app, ["quarantine", "list"]).output.splitlines()
    assert [line.split()[0] for line in listed[1:] if not line.startswith(" " * 8)] == ["1"]
    everything = runner.invoke(app, ["quarantine", "list", "--all"]).output.splitlines()
    rejected = next(i for i, line in enumerate(everything) if line.split()[0] == "2")
    assert "missing_column 1" in everything[rejected] and everything[rejected + 1 :] == []
    assert runner.invoke(app, ["quarantine", "show", "2"]).output.splitlines()[-1] == (
        "a file of its name loaded before as batch 1 has rows to fix: its quarantine file is that batch's"
    )
    assert "row      2  date_debut" in runner.invoke(app, ["quarantine", "show", "1"]).output


def test_a_quarantine_file_saved_again_by_excel_is_retried_or_refused_by_name(steward: Path) -> None:
    path = _tenancies(steward, ["B1;P1;Lyon;03/02/2021;;;400,00", "B2;P2;Lyon;31/02/2021;;;400,00"])
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 0
    quarantine = steward / "quarantine" / "housing_tenancies" / "tenancies_2025-12.csv.rejected.csv"
    lines = list(csv.reader(io.StringIO(quarantine.read_text(encoding="utf-8"))))
    lines[1][lines[0].index("date_debut")] = "28/02/2021"

    def saved(delimiter: str) -> str:
        text = io.StringIO()
        csv.writer(text, delimiter=delimiter, lineterminator="\r\n").writerows([*lines, [""] * len(lines[0])])
        return text.getvalue()

    # Excel's "CSV (semicolon)" in a French locale: refused, saying how to save it, and the file kept as it is
    quarantine.write_bytes(saved(";").encode("cp1252"))
    for command in (["quarantine", "retry", str(quarantine)], ["quarantine", "show", "1"]):
        refused = runner.invoke(app, command)
        assert refused.exit_code == 1 and "Traceback" not in refused.output, refused.output
        assert f"{quarantine.name}: line 1 is not the header of a quarantine file" in refused.output
    assert quarantine.read_bytes() == saved(";").encode("cp1252")
    # Excel's "CSV UTF-8": a byte-order mark, and a blank line where the sheet had an empty row
    quarantine.write_bytes(saved(",").encode("utf-8-sig"))
    assert "row      2  date_debut" in runner.invoke(app, ["quarantine", "show", "1"]).output
    retried = runner.invoke(app, ["quarantine", "retry", str(quarantine)])
    assert retried.exit_code == 0 and "loaded       1" in retried.output, retried.output
    assert not quarantine.exists()


def test_contracts_draft_says_which_sheet_of_a_workbook_it_read(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Lisez-moi"  # partners put a notice first, the data after it
    book.active.append(["Export du 01/12/2025: ne pas modifier"])
    data = book.create_sheet("Suivi")
    data.append(["Dossier", "Site"])
    for i in range(12):
        data.append([f"D{i}", "Lyon"])
    sample = tmp_path / "suivi_2025-11.xlsx"
    book.save(sample)
    drafted = runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(tmp_path / "a.yml")])
    assert drafted.exit_code == 0, drafted.output
    assert "drafted from sheet 'Lisez-moi', the first of 2 (Lisez-moi, Suivi): another with --sheet" in drafted.output
    asked = runner.invoke(app, ["contracts", "draft", str(sample), "--sheet", "Suivi", "--out", str(tmp_path / "b")])
    assert asked.exit_code == 0 and "drafted from sheet" not in asked.output


def _as_an_older_abord_left_it(url: str) -> None:
    """The ledger of the first release: without rows_erased, outdated_by, not_in_file and rows_given_up, added since
    by loads."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "alter table audit.batches drop column rows_erased, drop column outdated_by, drop column not_in_file,"
            " drop column rows_given_up"
        )


@pytest.mark.parametrize(
    "command",
    [["quarantine", "list"], ["quarantine", "show", "1"], ["quarantine", "retry"], ["forget"], ["key", "rotate"]],
    ids=lambda command: " ".join(command),
)
def test_the_steward_s_commands_read_a_ledger_an_older_abord_left_before_any_ingest(
    steward: Path, warehouse_url: str, command: list[str]
) -> None:
    """After an upgrade, `quarantine list` and `show` failed on an SQL error (column l.outdated_by does not exist)
    until a load had brought the ledger up to date; the others bring it up to date first, as loads do."""
    quarantine = _quarantined(steward)
    _as_an_older_abord_left_it(warehouse_url)
    if command == ["quarantine", "retry"]:
        command = [*command, str(quarantine)]
    if command == ["forget"]:  # someone never loaded: matches nobody, but reads and writes the ledger's counts
        request = steward / "forget.csv"
        request.write_text("record_id,given_name,family_name,birth_date\nR1,Lucie,Martin,2001-01-05\n")
        command = [*command, "--from", str(request)]
    result = runner.invoke(app, command)
    assert result.exit_code == 0, result.output
    with psycopg.connect(warehouse_url) as conn:
        columns = {
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns where table_schema = 'audit'"
                " and table_name = 'batches'"
            )
        }
    assert {"rows_erased", "outdated_by", "not_in_file", "rows_given_up"} <= columns
    assert "tenancies_2025-12.csv" in runner.invoke(app, ["quarantine", "list", "--all"]).output
    if command[:2] == ["quarantine", "list"]:
        assert "invalid_date 1" in result.output and str(quarantine) in result.output
    if command[:2] == ["quarantine", "show"]:
        assert "left to fix 1; reasons: invalid_date 1" in result.output


def test_a_file_rejected_before_an_upgrade_is_not_read_and_recorded_again(steward: Path, warehouse_url: str) -> None:
    """Its contract unchanged, the file is already_rejected under the fingerprint an older abord recorded; it was
    read, rejected and recorded again (two rejected batches of one file in `abord quarantine list`)."""
    path = _tenancies(steward, [])
    path.write_bytes(b"id_bail;site\r\nB1;Lyon\r\n")  # columns missing
    assert runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)]).exit_code == 1
    old = fingerprint_before_optional_in_file(load_contracts()["housing_tenancies"])
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("update audit.batches set contract_sha256 = %s", (old,))

    again = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(path)])
    assert "already_rejected" in again.output and "rejected (missing_column) under this same contract" in again.output
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("select batch_id, status from audit.batches").fetchall() == [(1, "rejected")]
