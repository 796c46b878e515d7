"""`abord link`, `redact`, `forget`, `opposition add` and `key rotate` through the real command line."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from pipelines import retry
from pipelines.contract import load_contracts
from pipelines.identity_store import ENCODINGS_DDL, EVIDENCE_DDL, UPSERT_ENCODINGS
from pipelines.key_check import check_key
from pipelines.pipeline import ensure_raw_tables
from pipelines.quarantine import Rejected, quarantine_path, write_quarantine
from pipelines.settings import Settings
from pipelines.validation import Problem
from pseudonymisation.keys import KeyFileError, load_key
from pseudonymisation.link_keys import Identity, link_keys, record_key, rotate_digest
from pseudonymisation.probabilistic import dumps, encode_identity
from tests.pipelines.file_mishaps import AS_ITS_BATCH_COMMITS, save_over_as

runner = CliRunner()

HOUSING = """record_id,given_name,family_name,birth_date,sex,nir,postcode,phone,email
H1,Marie-Hélène,Dupont-Lefèvre,12/03/1975,F,,75011,06 12 34 56 78,
H2,Karim,Benali,1988-07-30,M,,69003,,karim.benali@exemple.fr
"""
# Same woman written as the hospital writes her (upper case, no accents, ISO date, names swapped); the man
# only by his e-mail; a third person nobody else knows; a row with nothing usable.
HOSPITAL = """record_id;family_name;given_name;birth_date;email
P1;MARIE HELENE;DUPONT LEFEVRE;1975-03-12;
P2;BEN ALI;K.;1988-07-30;Karim.Benali@exemple.fr
P3;Martin;Lucie;2001-01-05;
P4;;;;
"""


@pytest.fixture
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["key", "new"]).exit_code == 0
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_link_gives_one_key_per_person_across_files(keyed: Path) -> None:
    a = _write(keyed / "housing.csv", HOUSING)
    b = _write(keyed / "hospital.csv", HOSPITAL)
    out = keyed / "out" / "links.csv"
    result = runner.invoke(app, ["link", str(a), str(b), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _rows(out)
    assert list(rows[0]) == ["file", "record_id", "person_key"]
    key = {(r["file"], r["record_id"]): r["person_key"] for r in rows}
    assert len(key) == 6
    assert key["housing.csv", "H1"] == key["hospital.csv", "P1"]
    assert key["housing.csv", "H2"] == key["hospital.csv", "P2"]
    assert key["housing.csv", "H1"] != key["housing.csv", "H2"]
    assert len({key["hospital.csv", "P3"], key["hospital.csv", "P4"], key["housing.csv", "H1"]}) == 3
    assert "6 records from 2 files, 4 persons (1 records without any usable identifier)" in result.output


def _programme_day_ahead(monkeypatch: pytest.MonkeyPatch) -> date:
    """The programme's day (ABORD_TIMEZONE) past midnight while the machine's is not: ingestion keys by it."""
    day = date.today() + timedelta(days=1)
    monkeypatch.setattr(Settings, "today", lambda self, now=None: day)
    return day


def test_link_keys_a_birth_date_on_the_programmes_day(keyed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    day = _programme_day_ahead(monkeypatch)
    a = _write(keyed / "a.csv", f"record_id,given_name,family_name,birth_date\nA1,Nadia,Petit,{day:%d/%m/%Y}\n")
    b = _write(keyed / "b.csv", f"record_id;family_name;given_name;birth_date\nB1;PETIT;NADIA;{day.isoformat()}\n")
    out = keyed / "links.csv"
    result = runner.invoke(app, ["link", str(a), str(b), "--out", str(out), "--probabilistic"])
    assert result.exit_code == 0, result.output
    assert len({r["person_key"] for r in _rows(out)}) == 1
    assert "0 records without any usable identifier" in result.output


def test_link_probabilistic_joins_a_typo_that_exact_keys_miss(keyed: Path) -> None:
    a = _write(keyed / "a.csv", "record_id,given_name,family_name,birth_date\nA1,Sandrine,Girard,1975-03-12\n")
    b = _write(keyed / "b.csv", "record_id,given_name,family_name,birth_date\nB1,Sandrine,Girrard,1975-03-12\n")
    exact, fuzzy = keyed / "exact.csv", keyed / "fuzzy.csv"
    assert runner.invoke(app, ["link", str(a), str(b), "--out", str(exact)]).exit_code == 0
    assert runner.invoke(app, ["link", str(a), str(b), "--out", str(fuzzy), "--probabilistic"]).exit_code == 0
    assert len({r["person_key"] for r in _rows(exact)}) == 2
    assert len({r["person_key"] for r in _rows(fuzzy)}) == 1


def test_link_writes_and_prints_no_identifier(keyed: Path) -> None:
    a = _write(keyed / "housing.csv", HOUSING)
    b = _write(keyed / "hospital.csv", HOSPITAL)
    out = keyed / "links.csv"
    result = runner.invoke(app, ["link", str(a), str(b), "--out", str(out)])
    written = out.read_text(encoding="utf-8") + result.output
    for value in ("Dupont", "DUPONT", "Marie", "Benali", "1975", "1988", "06 12", "exemple.fr", "Lucie", "75011"):
        assert value not in written
    assert (keyed / "abord.key").read_text().strip() not in written


def test_link_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    a = _write(tmp_path / "a.csv", HOUSING)
    result = runner.invoke(app, ["link", str(a), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "abord key new" in result.output


def test_link_needs_a_record_id(keyed: Path) -> None:
    a = _write(keyed / "a.csv", "given_name,family_name\nMarie,Dupont\n")
    result = runner.invoke(app, ["link", str(a), "--out", str(keyed / "o.csv")])
    assert result.exit_code == 2 and "no record_id column" in result.output
    assert "Dupont" not in result.output


NOTES = """record_id;given_name;family_name;note
1;Fatou;Diallo;Fatou a appelé le 06 12 34 56 78, rendez-vous CCAS jeudi.
2;Jean;Martin;"Écrit depuis jean.martin@exemple.fr ; NIR 2 84 05 73 054 082 48."
3;;;
"""


def test_redact_replaces_the_column_only(keyed: Path) -> None:
    source = _write(keyed / "notes.csv", NOTES)
    out = keyed / "redacted.csv"
    result = runner.invoke(app, ["redact", "--in", str(source), "--column", "note", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["record_id"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["given_name"] == "Fatou"  # other columns untouched
    assert rows[0]["note"] == "<PERSONNE> a appelé le <TELEPHONE>, rendez-vous CCAS jeudi."
    assert "<EMAIL>" in rows[1]["note"] and "<NIR>" in rows[1]["note"] and "exemple" not in rows[1]["note"]
    assert rows[2]["note"] == ""
    assert "3 rows" in result.output


def test_redact_checks_the_column_and_the_language(keyed: Path) -> None:
    source = _write(keyed / "notes.csv", NOTES)
    out = keyed / "redacted.csv"
    missing = runner.invoke(app, ["redact", "--in", str(source), "--column", "notes", "--out", str(out)])
    assert missing.exit_code == 2 and "no column 'notes'" in missing.output
    unknown = runner.invoke(app, ["redact", "--in", str(source), "--column", "note", "--out", str(out), "--lang", "de"])
    assert unknown.exit_code == 2 and "unknown language 'de'" in unknown.output
    assert not out.exists()


NOTES_EN = """record_id,given_name,family_name,note
1,Sarah,Thompson,"Sarah called from 07700 900123, her sister Laura Bennett will visit on 3 January."
2,Liam,McAllister,"Emailed liam.mca@btinternet.com; born on January 3, 2001; SSN 512-34-8761."
3,Grace,Mensah,"New address: Flat 4, 27 Mill Road. Rent paid into GB33 BUKB 2020 1555 5555 55."
4,,,
"""


def test_redact_in_english(keyed: Path) -> None:
    source = _write(keyed / "notes_en.csv", NOTES_EN)
    out = keyed / "redacted_en.csv"
    result = runner.invoke(app, ["redact", "--in", str(source), "--column", "note", "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["record_id"] for r in rows] == ["1", "2", "3", "4"]
    assert rows[0]["given_name"] == "Sarah"  # other columns untouched
    assert rows[0]["note"] == "<PERSON> called from <PHONE>, her sister <PERSON> will visit on 3 January."
    assert rows[1]["note"] == "Emailed <EMAIL>; born on <DATE_OF_BIRTH>; SSN <SSN>."
    assert rows[2]["note"] == "New address: <ADDRESS>. Rent paid into <IBAN>."
    assert rows[3]["note"] == ""
    assert "4 rows" in result.output
    for value in ("Sarah", "Bennett", "900123", "btinternet", "2001", "8761", "Mill", "BUKB"):
        assert value not in result.output and all(value not in r["note"] for r in rows), value


# --- people's rights and key rotation, on a real warehouse database -------------------------------------

MARIE = {"given_name": "Marie-Hélène", "family_name": "Dupont", "birth_date": "12/03/1975", "nir": "",
         "email": "mh.dupont@exemple.fr"}  # fmt: skip
KARIM = {"given_name": "Karim", "family_name": "Benali", "birth_date": "1988-07-30", "email": ""}
REQUEST = "given_name,family_name,birth_date,email\nMARIE HELENE,DUPONT,1975-03-12,\n"  # written differently


def _identity(row: dict[str, str]) -> Identity:
    return Identity(**{k: v or None for k, v in row.items()})


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, warehouse_url: str) -> str:
    """Two persons loaded as ingestion would: link keys, a participant row and a support contact each."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    assert runner.invoke(app, ["key", "new"]).exit_code == 0
    key = load_key(tmp_path / "abord.key")
    ensure_raw_tables(warehouse_url, load_contracts())
    with psycopg.connect(warehouse_url) as conn:
        check_key(conn, key)  # the store is empty: recorded, as by a first load
        batch = conn.execute(
            "insert into audit.batches (source, file_name, sha256, rows_read, rows_loaded, rows_quarantined, status)"
            " values ('housing_participants', 'f.csv', 'x', 2, 2, 0, 'loaded') returning batch_id"
        ).fetchone()[0]
        for n, (person, row) in enumerate([("p-marie", MARIE), ("p-karim", KARIM)], start=1):
            for k in link_keys(key, _identity(row)):
                conn.execute("insert into identity.link_keys values (%s, %s)", (k, person))
            ref = record_key(key, "housing_participants", f"P{n}")
            conn.execute("insert into identity.link_keys values (%s, %s)", (ref, person))
            conn.execute(
                "insert into raw.housing_participants (batch_id, source_row, record_ref, person_key)"
                " values (%s, %s, %s, %s)",
                (batch, n, ref, person),
            )
            conn.execute(
                "insert into raw.housing_support_contacts (batch_id, source_row, record_ref, person_key)"
                " values (%s, %s, %s, %s)",
                (batch, n, record_key(key, "housing_support_contacts", f"C{n}"), person),
            )
        conn.execute("insert into audit.person_merges values ('p-old', 'p-marie', %s)", (batch,))
    return warehouse_url


def _person_rows(url: str, person: str) -> int:
    total = 0
    with psycopg.connect(url) as conn:
        for contract in load_contracts().values():
            if contract.is_person_level:
                sql = f"select count(*) from {contract.raw_table} where person_key = %s"
                total += conn.execute(sql, (person,)).fetchone()[0]
        total += conn.execute("select count(*) from identity.link_keys where person_key = %s", (person,)).fetchone()[0]
        total += conn.execute(
            "select count(*) from audit.person_merges where %s in (absorbed_person_key, kept_person_key)", (person,)
        ).fetchone()[0]
    return total


def test_forget_erases_the_person_everywhere_and_only_them(warehouse: str, tmp_path: Path) -> None:
    request = tmp_path / "forget.csv"
    request.write_text(REQUEST, encoding="utf-8")
    before = _person_rows(warehouse, "p-marie")
    assert before > 0
    result = runner.invoke(app, ["forget", "--from", str(request)])
    assert result.exit_code == 0, result.output
    assert "matched 1 persons: 2 rows" in result.output and "DUPONT" not in result.output
    assert _person_rows(warehouse, "p-marie") == 0
    assert _person_rows(warehouse, "p-karim") == 5  # 2 raw rows and 3 link keys, untouched
    with psycopg.connect(warehouse) as conn:
        erasures = conn.execute(
            "select requested_identities, persons_erased, rows_deleted from audit.erasures"
        ).fetchall()
        assert erasures == [(1, 1, 2)]
        opposed = {k for (k,) in conn.execute("select link_key from identity.opposition")}
    # Her every key, the participant record reference included, keeps her out of the next extracts.
    key = load_key(tmp_path / "abord.key")
    assert set(link_keys(key, _identity(MARIE))) | {record_key(key, "housing_participants", "P1")} <= opposed


def test_forget_under_another_key_file_is_refused_and_erases_nothing(warehouse: str, tmp_path: Path) -> None:
    with psycopg.connect(warehouse) as conn:
        before = conn.execute("select * from identity.link_keys order by 1").fetchall()
    (tmp_path / "abord.key").unlink()
    assert runner.invoke(app, ["key", "new"]).exit_code == 0  # a fresh key where the warehouse's was
    request = tmp_path / "request.csv"
    request.write_text(REQUEST, encoding="utf-8")
    result = runner.invoke(app, ["forget", "--from", str(request)])
    assert result.exit_code == 2 and "not the key the warehouse's identities were made with" in result.output
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select * from identity.link_keys order by 1").fetchall() == before


def test_rights_commands_wait_until_an_upgraded_warehouse_has_confirmed_its_key(warehouse: str, tmp_path: Path):
    with psycopg.connect(warehouse) as conn:
        conn.execute("delete from identity.key_check")  # identities stored before the store kept a check
        before = conn.execute("select * from identity.link_keys order by 1").fetchall()
    request = tmp_path / "request.csv"
    request.write_text(REQUEST, encoding="utf-8")
    for command in (["forget", "--from"], ["opposition", "add", "--from"], ["key", "rotate"]):
        result = runner.invoke(app, command + ([str(request)] if command[-1] == "--from" else []))
        assert result.exit_code == 2 and "has not recorded that key yet" in result.output, command
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select * from identity.link_keys order by 1").fetchall() == before
        assert conn.execute("select count(*) from identity.opposition").fetchone() == (0,)
    assert load_key(tmp_path / "abord.key").rotations == ()  # the key file was not wrapped either


def test_opposition_add_keeps_keyed_values_only(warehouse: str, tmp_path: Path) -> None:
    request = tmp_path / "opposition.csv"
    request.write_text("given_name,family_name,birth_date\nKarim,Benali,30/07/1988\n,,\n", encoding="utf-8")
    result = runner.invoke(app, ["opposition", "add", "--from", str(request)])
    assert result.exit_code == 0, result.output
    assert "1 of 2 identities on the opposition list" in result.output
    key = load_key(tmp_path / "abord.key")
    with psycopg.connect(warehouse) as conn:
        opposed = {k for (k,) in conn.execute("select link_key from identity.opposition")}
        encodings = conn.execute(
            "select e.encoding from identity.bloom_encodings as e join identity.opposed_persons using (person_key)"
        ).fetchall()
    karim = Identity(given_name="Karim", family_name="Benali", birth_date="1988-07-30")
    assert opposed == set(link_keys(key, karim))
    # and the keyed encoding, so that a misspelt "Karim Benalli" in a later extract is recognised too
    assert encodings == [(dumps(encode_identity(key, karim)),)]
    assert _person_rows(warehouse, "p-karim") == 5  # opposition alone erases nothing


def _waiting(warehouse: str, tmp_path: Path, name: str = "f.csv") -> Path:
    """Two more rows of a batch of that name wait in its quarantine file: Karim's, misspelt, and another person's."""
    contract = load_contracts()["housing_participants"]
    quarantine = quarantine_path(tmp_path / "quarantine", contract.name, name)
    problem = [Problem("date_entree", "invalid_date", "'31/02/2025' is not a date in the form %d/%m/%Y")]
    row = {"site": "Lyon", "date_entree": "31/02/2025"}
    waiting = [
        Rejected(3, problem, {**row, "id_participant": "P3", "nom": "Benalli", "prenom": "Karim",
                              "date_naissance": "30/07/1988"}),
        Rejected(4, problem, {**row, "id_participant": "P4", "nom": "Martin", "prenom": "Lucie",
                              "date_naissance": "05/01/2001"}),
    ]  # fmt: skip
    write_quarantine(quarantine, waiting, [c.name for c in contract.columns], "a" * 64).replace(quarantine)
    with psycopg.connect(warehouse) as conn:
        if name != "f.csv":
            conn.execute(
                "insert into audit.batches (source, file_name, sha256, rows_read, rows_loaded, rows_quarantined,"
                " status) values (%s, %s, %s, 2, 0, 2, 'loaded')",
                (contract.name, name, name),
            )
        else:
            conn.execute("update audit.batches set rows_read = 4, rows_quarantined = 2")
        conn.execute(
            "insert into audit.rejections (batch_id, source_row, column_name, reason_code)"
            " select batch_id, n, 'date_entree', 'invalid_date' from audit.batches, unnest(array[3, 4]) as n"
            " where file_name = %s",
            (name,),
        )
    return quarantine


KARIM_REQUEST = "given_name,family_name,birth_date\nKarim,Benali,30/07/1988\n"


def _oppose_karim(tmp_path: Path):
    """`abord opposition add` for Karim, from opposition.csv; it must succeed."""
    request = tmp_path / "opposition.csv"
    request.write_text(KARIM_REQUEST, encoding="utf-8")
    result = runner.invoke(app, ["opposition", "add", "--from", str(request)])
    assert result.exit_code == 0, result.output
    return result


def test_opposition_add_takes_their_rows_out_of_quarantine_files(warehouse: str, tmp_path: Path) -> None:
    quarantine = _waiting(warehouse, tmp_path)

    result = _oppose_karim(tmp_path)
    assert "1 of their rows taken out of quarantine files" in result.output
    assert [r["id_participant"] for r in _rows(quarantine)] == ["P4"]
    assert not any(
        "Benal" in p.read_text(encoding="utf-8") for p in (tmp_path / "quarantine").rglob("*") if p.is_file()
    )
    with psycopg.connect(warehouse) as conn:
        reasons = conn.execute("select source_row, reason_code from audit.rejections order by 1").fetchall()
        counts = conn.execute("select rows_read, rows_loaded, rows_quarantined from audit.batches").fetchall()
    assert reasons == [(3, "opposition"), (4, "invalid_date")] and counts == [(4, 2, 2)]
    # counted as quarantined, but in no file: one row left to fix, as `quarantine retry` says
    listed = runner.invoke(app, ["quarantine", "list"]).output.splitlines()
    assert listed[1].split()[4] == "1" and listed[1].endswith("  invalid_date 1, opposition 1"), listed
    assert (
        "left to fix 1; reasons: invalid_date 1, opposition 1" in runner.invoke(app, ["quarantine", "show", "1"]).output
    )


def test_a_quarantine_file_it_cannot_read_is_named_and_the_request_still_commits(
    warehouse: str, tmp_path: Path
) -> None:
    good, bad = _waiting(warehouse, tmp_path, "f.csv"), _waiting(warehouse, tmp_path, "g.csv")
    lines = list(csv.reader(bad.open(encoding="utf-8", newline="")))
    with bad.open("w", encoding="utf-8", newline="") as handle:  # a spreadsheet saved it again with ';'
        csv.writer(handle, delimiter=";").writerows(lines)

    result = _oppose_karim(tmp_path)
    assert "1 of 1 identities on the opposition list (2 new link keys); 1 of their rows taken out" in result.output
    assert f"housing_participants/{bad.name}: line 1 is not the header of a quarantine file" in result.output
    assert "run this same command again (--from opposition.csv)" in result.output
    assert "Benal" not in result.output
    assert [r["id_participant"] for r in _rows(good)] == ["P4"]
    assert "Benalli" in bad.read_text(encoding="utf-8")  # left as it is

    # saved again as Excel's "CSV UTF-8" (a byte-order mark, an empty row of the sheet), the same request purges it
    saved = io.StringIO()
    csv.writer(saved, lineterminator="\r\n").writerows([*lines, [""] * len(lines[0])])
    bad.write_bytes(saved.getvalue().encode("utf-8-sig"))
    again = _oppose_karim(tmp_path)
    assert "(0 new link keys); 1 of their rows taken out of quarantine files;" in again.output
    assert "could not be read" not in again.output
    assert [r["id_participant"] for r in _rows(good)] == [r["id_participant"] for r in _rows(bad)] == ["P4"]
    with psycopg.connect(warehouse) as conn:
        reasons = conn.execute(
            "select file_name, source_row, reason_code from audit.rejections join audit.batches using (batch_id)"
            " order by 1, 2"
        ).fetchall()
        assert conn.execute("select count(*) from identity.opposition").fetchone() == (2,)
    assert reasons == [(n, r, c) for n in ("f.csv", "g.csv") for r, c in ((3, "opposition"), (4, "invalid_date"))]


def test_key_rotate_rekeys_the_store_without_losing_a_link(warehouse: str, tmp_path: Path) -> None:
    key_file = tmp_path / "abord.key"
    old = load_key(key_file)
    with psycopg.connect(warehouse) as conn:
        before = dict(conn.execute("select link_key, person_key from identity.link_keys").fetchall())
        conn.execute(ENCODINGS_DDL)
        conn.execute(UPSERT_ENCODINGS, ([dumps(encode_identity(old, _identity(MARIE)))], ["p-marie"]))
        conn.execute(EVIDENCE_DDL)  # a batch's provenance: its link keys and encoding are keyed values too
        conn.execute(
            "insert into identity.link_evidence (batch_id, entry, person_key, link_keys, encoding, row_ordinals)"
            " values (1, 0, 'p-marie', %s, %s, '{0}')",
            (link_keys(old, _identity(MARIE)), dumps(encode_identity(old, _identity(MARIE)))),
        )
    result = runner.invoke(app, ["key", "rotate"])
    assert result.exit_code == 0, result.output
    new = load_key(key_file)
    assert len(new.rotations) == 1 and key_file.stat().st_mode & 0o077 == 0
    assert not (tmp_path / "abord.key.next").exists()
    with psycopg.connect(warehouse) as conn:
        after = dict(conn.execute("select link_key, person_key from identity.link_keys").fetchall())
        refs = {r for (r,) in conn.execute("select record_ref from raw.housing_participants")}
        encodings = conn.execute("select encoding, person_key from identity.bloom_encodings").fetchall()
        evidence = conn.execute("select link_keys, encoding from identity.link_evidence").fetchall()
    assert encodings == [(dumps(encode_identity(new, _identity(MARIE))), "p-marie")]
    rotated = [rotate_digest(new.rotations[0], d) for d in link_keys(old, _identity(MARIE))]
    assert evidence == [(rotated, encodings[0][0])] and set(rotated) == set(link_keys(new, _identity(MARIE)))
    assert not set(after) & set(before) and len(after) == len(before)
    with psycopg.connect(warehouse) as conn:  # the store's key check was re-keyed with the rest
        check_key(conn, new)
        with pytest.raises(KeyFileError, match="not the key"):
            check_key(conn, old)
    # What the next extract computes under the rotated key finds the same persons.
    for person, row in (("p-marie", MARIE), ("p-karim", KARIM)):
        assert {after[k] for k in link_keys(new, _identity(row))} == {person}
        assert not set(link_keys(old, _identity(row))) & set(after)
    assert refs == {record_key(new, "housing_participants", "P1"), record_key(new, "housing_participants", "P2")}


def test_a_quarantine_file_with_a_quote_never_closed_is_named_and_the_request_still_commits(
    warehouse: str, tmp_path: Path
) -> None:
    """Edited in a text editor, a value opening a quote never closed runs on over the lines after it: past csv's
    field limit, reading it raised csv.Error, a traceback that stopped the request (and a batch adding opposition)."""
    good, bad = _waiting(warehouse, tmp_path, "f.csv"), _waiting(warehouse, tmp_path, "g.csv")
    text = bad.read_text(encoding="utf-8").replace("Martin", '"Martin', 1)
    bad.write_text(text + "\n".join(["5,,,,note"] * 30_000) + "\n", encoding="utf-8")
    saved = bad.read_bytes()

    result = _oppose_karim(tmp_path)
    assert "1 of their rows taken out of quarantine files" in result.output
    assert f"housing_participants/{bad.name}: line 3 opens a quoted value that is never closed" in result.output
    assert [r["id_participant"] for r in _rows(good)] == ["P4"]
    assert bad.read_bytes() == saved  # left as it is
    retried = runner.invoke(app, ["quarantine", "retry", str(bad)])
    assert retried.exit_code == 1 and "line 3 opens a quoted value that is never closed" in retried.output


def test_rights_requests_key_a_birth_date_by_the_programmes_day(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ingestion keyed Nadia, born on the programme's day, by it: her request must compute the same keys.
    day = _programme_day_ahead(monkeypatch)
    nadia = Identity(given_name="Nadia", family_name="Petit", birth_date=day.isoformat())
    key = load_key(tmp_path / "abord.key")
    keys = link_keys(key, nadia, day)
    assert keys and not link_keys(key, nadia, day - timedelta(days=1))  # the machine's day keys nothing
    with psycopg.connect(warehouse) as conn, conn.cursor() as cur:
        cur.executemany("insert into identity.link_keys values (%s, 'p-nadia')", [(k,) for k in keys])
    request = _write(tmp_path / "request.csv", f"given_name,family_name,birth_date\nNadia,Petit,{day:%d/%m/%Y}\n")

    result = runner.invoke(app, ["opposition", "add", "--from", str(request)])
    assert result.exit_code == 0, result.output
    with psycopg.connect(warehouse) as conn:
        opposed = {k for (k,) in conn.execute("select link_key from identity.opposition")}
        encodings = conn.execute(
            "select e.encoding from identity.bloom_encodings as e join identity.opposed_persons using (person_key)"
        ).fetchall()
    assert opposed == set(keys) and encodings == [(dumps(encode_identity(key, nadia, today=day)),)]

    result = runner.invoke(app, ["forget", "--from", str(request)])
    assert result.exit_code == 0, result.output
    assert "matched 1 persons" in result.output and _person_rows(warehouse, "p-nadia") == 0


def _fix_dates(quarantine: Path, rows: set[str]) -> bytes:
    """The quarantine file's text with the entry date of the lines of source rows `rows` fixed."""
    lines = _rows(quarantine)
    fixed = io.StringIO()
    writer = csv.DictWriter(fixed, fieldnames=list(lines[0]))
    writer.writeheader()
    writer.writerows({**line, "date_entree": "28/02/2025"} if line["source_row"] in rows else line for line in lines)
    return fixed.getvalue().encode("utf-8")


def test_a_retry_refused_as_its_file_is_saved_leaves_the_other_quarantine_files_as_the_ledger_has_them(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry loading a row of a person opposed (Karim's, misspelt, his date fixed) takes their rows out of the
    other quarantine files before it commits. Refused then because the steward saved its file again, it had taken
    Karim's line out of g.csv's file, but its transaction, rolled back, no longer counted his row as opposition:
    g.csv's batch said 2 rows to fix beside a file of one, and its next retry would say the steward gave one up."""
    _oppose_karim(tmp_path)
    retried, other = _waiting(warehouse, tmp_path, "f.csv"), _waiting(warehouse, tmp_path, "g.csv")
    with psycopg.connect(warehouse) as conn:  # a retry loads into its batch's period
        conn.execute("update audit.batches set period = '2025-12'")
    retried.write_bytes(_fix_dates(retried, {"3"}))
    with monkeypatch.context() as patched:
        save_over_as(patched, AS_ITS_BATCH_COMMITS, retried, _fix_dates(retried, {"3", "4"}))
        refused = runner.invoke(app, ["quarantine", "retry", str(retried)])
    assert refused.exit_code == 1 and "nothing loaded, nothing recorded; retry it as it is now" in refused.output

    def other_file_and_ledger() -> tuple[list[str], str]:
        shown = runner.invoke(app, ["quarantine", "show", "2"]).output.splitlines()[1]
        return [r["source_row"] for r in _rows(other)], shown

    assert other_file_and_ledger() == (["3", "4"], "rows read 2, left to fix 2; reasons: invalid_date 2")
    # retried as saved: Lucie's row loads, Karim's is set aside, and his line leaves g.csv's file as opposition
    assert runner.invoke(app, ["quarantine", "retry", str(retried)]).exit_code == 0
    assert other_file_and_ledger() == (["4"], "rows read 2, left to fix 1; reasons: invalid_date 1, opposition 1")


@pytest.mark.parametrize(
    ("kept", "said"),
    [
        ({"3", "4"}, "changed while it was retried (saved again, or a person's rows taken out of it by an opposition)"),
        ({"3"}, "gone while it was retried (deleted or moved, its batch replaced, or its rows all of persons opposed)"),
    ],
    ids=["a_line_taken_out", "its_only_line_taken_out"],
)
def test_a_retry_whose_file_an_opposition_rewrites_meanwhile_does_not_say_the_steward_saved_it(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept: set[str], said: str
) -> None:
    """`abord opposition add` takes Karim's line out of the file being retried (a new file renamed over it, or none
    when his was its only line): the retry, refused as it must be, said the steward had saved or deleted the file."""
    retried = _waiting(warehouse, tmp_path)
    with psycopg.connect(warehouse) as conn:  # a retry loads into its batch's period
        conn.execute("update audit.batches set period = '2025-12'")
    lines = _rows(retried)
    with retried.open("w", encoding="utf-8", newline="") as handle:  # Lucie's date fixed; Karim's line alone
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows({**line, "date_entree": "28/02/2025"} for line in lines if line["source_row"] in kept)
    with monkeypatch.context() as patched:
        real = retry.ingest_extract
        patched.setattr(retry, "ingest_extract", lambda *args: (_oppose_karim(tmp_path), real(*args))[1])
        refused = runner.invoke(app, ["quarantine", "retry", str(retried)])

    assert refused.exit_code == 1 and f"{said}: nothing loaded, nothing recorded" in refused.output, refused.output
    assert "saved again while" not in refused.output and "deleted or moved while" not in refused.output


def test_quarantine_list_counts_no_line_to_delete_that_a_retry_took_out_as_an_opposed_person_s(
    warehouse: str, tmp_path: Path
) -> None:
    """The steward put Karim's line under Lucie's source row; Karim is opposed. The retry refuses his line as not
    to fix and sets it aside (his), keeping hers to fix. `quarantine list` and `show` still counted his line 'to
    delete (not_to_fix)', from the ledger's reasons: the steward looked for a line the file no longer holds."""
    _oppose_karim(tmp_path)
    retried = _waiting(warehouse, tmp_path)
    with psycopg.connect(warehouse) as conn:  # a retry loads into its batch's period
        conn.execute("update audit.batches set period = '2025-12'")
    karim, lucie = _rows(retried)
    with retried.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(karim))
        writer.writeheader()
        writer.writerows([lucie, {**karim, "source_row": lucie["source_row"]}])
    assert runner.invoke(app, ["quarantine", "retry", str(retried)]).exit_code == 0
    assert [(r["source_row"], r["id_participant"]) for r in _rows(retried)] == [("4", "P4")]

    listed = runner.invoke(app, ["quarantine", "list"]).output.splitlines()[1]
    assert listed.split()[4] == "1" and "to delete" not in listed, listed
    shown = runner.invoke(app, ["quarantine", "show", "1"]).output
    assert "left to fix 1, given up 1; reasons: invalid_date 1, not_to_fix 1" in shown, shown
