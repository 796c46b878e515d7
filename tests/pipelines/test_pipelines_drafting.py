"""`abord contracts draft`: the draft must be a contract ingestion can read the sample with, and no more confident
than the sample allows (one broken value, two date formats, a unique-looking measure)."""

from __future__ import annotations

import codecs
import json
import random
import string
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from orchestration.cli import app
from pipelines.contract import Contract, check_contracts, load_contract
from pipelines.drafting import draft_contract
from pipelines.readers import RowUnreadable, read_rows
from pipelines.validation import validate_row

runner = CliRunner()
TODAY = date(2026, 1, 15)


def _draft(sample: Path, *options: str) -> tuple[Contract, str]:
    """The draft of `sample`, checked as `abord contracts check` checks a contracts folder."""
    folder = sample.parent.parent / "drafts"
    folder.mkdir(exist_ok=True)
    out = folder / f"{sample.stem}.yml"
    result = runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    _, errors = check_contracts(folder)
    assert errors == []
    return load_contract(out), out.read_text(encoding="utf-8")


def _problems(sample: Path, contract: Contract) -> list[tuple[int, str | None, str]]:
    """Every row of the sample read and validated under the draft: (row, column, code) for each problem."""
    found = []
    for number, row in read_rows(sample, contract):
        assert not isinstance(row, RowUnreadable), row
        found += [(number, p.column, p.code) for p in validate_row(row, contract, TODAY)[1]]
    return found


def _comment(text: str, column: str) -> str:
    return next(line for line in text.splitlines() if f'name: "{column}"' in line)


def _sample(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "partenaire" / name
    path.parent.mkdir(exist_ok=True)
    return path


LINES = ["Dossier;Site;Entrée"] + [f"D{i:03d};{['Lyon', 'Pézenas'][i % 2]};{1 + i % 28:02d}/03/2024" for i in range(30)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_byte_order_mark_sets_the_encoding(tmp_path: Path, encoding: str) -> None:
    sample = _sample(tmp_path, "suivi_2025-11.csv")
    bom = codecs.BOM_UTF16_BE if encoding == "utf-16-be" else b""  # utf-16 and utf-8-sig write their own
    sample.write_bytes(bom + ("\r\n".join(LINES) + "\r\n").encode(encoding))

    contract, _ = _draft(sample)

    assert [c.name for c in contract.columns] == ["Dossier", "Site", "Entrée"]
    assert contract.format.encoding == ("utf-8" if encoding == "utf-8-sig" else "utf-16")
    assert contract.column("Site").allowed == ("Lyon", "Pézenas")
    assert contract.column("Entrée").type == "date"
    assert _problems(sample, contract) == []  # ingestion reads the sample under its draft


def test_a_utf16_sample_without_byte_order_mark_is_read_by_its_nul_bytes(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "suivi_2025-11.csv")
    sample.write_bytes(("\r\n".join(LINES) + "\r\n").encode("utf-16-le"))
    contract, _ = _draft(sample)
    assert contract.format.encoding == "utf-16-le" and contract.column("Site").allowed == ("Lyon", "Pézenas")
    assert _problems(sample, contract) == []


@pytest.mark.parametrize("last_end", ["\n", "\r\n"])  # one sample of each length, even and odd
def test_a_nul_byte_in_a_one_byte_sample_is_a_broken_value_not_utf16(tmp_path: Path, last_end: str) -> None:
    """One NUL byte made the draft read a cp1252 sample as UTF-16: a contract of one garbled column, or the sample
    refused ('NUL bytes that are not UTF-16 text') when its length was odd. Ingestion reads it as cp1252 and sets the
    row aside (nul_byte); the draft leaves that row out of its guesses."""
    lines = [*LINES]
    lines[2] = lines[2].replace("Pézenas", "Péze\x00nas")
    sample = _sample(tmp_path, "suivi_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + last_end).encode("cp1252"))

    contract, _ = _draft(sample)

    assert [c.name for c in contract.columns] == ["Dossier", "Site", "Entrée"]
    assert (contract.format.encoding, contract.column("Site").allowed) == ("cp1252", ("Lyon", "Pézenas"))
    rows = list(read_rows(sample, contract))
    assert [(n, row.code) for n, row in rows if isinstance(row, RowUnreadable)] == [(2, "nul_byte")]
    assert [n for n, row in rows if not isinstance(row, RowUnreadable) and validate_row(row, contract, TODAY)[1]] == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("events_2025-11.jsonl", codecs.BOM_UTF16_LE + '{"id": "a"}\n'.encode("utf-16-le"), "UTF-8"),
        ("events_2025-11.jsonl", '{"id": "é"}\n'.encode("cp1252"), "UTF-8"),
        ("suivi_2025-11.csv", "a;b\r\n1;2\r\n".encode("utf-32"), "UTF-32"),
        ("suivi_2025-11.csv", b"%PDF-1.7\n...", "PDF"),
        ("suivi_2025-11.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "XLS"),
    ],
)
def test_a_sample_ingestion_cannot_read_is_refused_clearly(tmp_path: Path, name: str, content: bytes, message) -> None:
    sample = _sample(tmp_path, name)
    sample.write_bytes(content)
    out = tmp_path / "draft.yml"
    refused = runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(out)])
    assert refused.exit_code == 1 and message in refused.output, refused.output
    assert not out.exists()


def _workbook(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Suivi"
    sheet.append(["Dossier", "Site", "Date entrée", "Montant", "Visite", "Enfants"])
    for i in range(30):
        entry = datetime(2024, 3, 1 + i % 28)  # a date cell, as Excel stores one
        sheet.append([f"D{i:03d}", ["Lyon", "Pézenas"][i % 2], entry, 100.5 + i, f"{1 + i % 28:02d}/04/2024", i % 3])
    other = book.create_sheet("Codes")
    other.append(["code", "libellé"])
    for i in range(12):
        other.append([f"C{i}", f"libellé {i}"])
    book.save(path)


def test_an_xlsx_sample_is_drafted_from_its_first_sheet_and_typed_cells(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "suivi_2025-11.xlsx")
    _workbook(sample)

    contract, _ = _draft(sample)

    assert (contract.format.type, contract.format.sheet) == ("xlsx", "Suivi")
    assert [c.name for c in contract.columns] == ["Dossier", "Site", "Date entrée", "Montant", "Visite", "Enfants"]
    types = {c.name: c.type for c in contract.columns}
    assert types == {
        "Dossier": "text",
        "Site": "text",
        "Date entrée": "date",
        "Montant": "decimal",
        "Visite": "date",  # text cells in the same format as the date cells will be written in
        "Enfants": "integer",
    }
    assert contract.record_id.name == "Dossier" and contract.format.date_format == "%d/%m/%Y"
    assert _problems(sample, contract) == []
    # a workbook named .csv is known by its content, and refused: the XLSX reader goes by the extension
    renamed = sample.with_name("suivi_2025-12.csv")
    renamed.write_bytes(sample.read_bytes())
    refused = runner.invoke(app, ["contracts", "draft", str(renamed)])
    assert refused.exit_code == 1 and "an XLSX workbook?" in refused.output and "rename it" in refused.output


def test_an_xlsx_sample_is_drafted_from_the_sheet_asked_for(tmp_path: Path) -> None:
    sample = _sample(tmp_path, "suivi_2025-11.xlsx")
    _workbook(sample)
    contract, _ = _draft(sample, "--sheet", "Codes")
    assert contract.format.sheet == "Codes" and [c.name for c in contract.columns] == ["code", "libellé"]
    missing = runner.invoke(app, ["contracts", "draft", str(sample), "--sheet", "Nope"])
    assert missing.exit_code == 1 and "no sheet 'Nope'" in missing.output and "Suivi, Codes" in missing.output
    archive = _sample(tmp_path, "export_2025-11.xlsx")
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("Client.csv", "a,b\n")
    refused = runner.invoke(app, ["contracts", "draft", str(archive)])
    assert refused.exit_code == 1 and "not a readable XLSX workbook" in refused.output


def test_a_few_unparseable_dates_do_not_make_a_date_column_text(tmp_path: Path) -> None:
    lines = ["id_participant;date_orientation;date_entree;commentaire_court;date_naissance"]
    for i in range(60):
        referral = "hier" if i == 7 else "00/00/0000" if i == 40 else f"{1 + i % 28:02d}/01/2024"
        birth = "31/02/1980" if i == 20 else f"{1 + i % 28:02d}/05/{1940 + i}"
        lines.append(f"P{i:03d};{referral};{1 + i % 28:02d}/02/2024;{['oui', 'non', '12/01/2024'][i % 3]};{birth}")
    sample = _sample(tmp_path, "participants_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    contract, text = _draft(sample)

    assert contract.column("date_orientation").type == "date" and contract.column("date_entree").type == "date"
    assert "2 of 60 sample values do not parse as %d/%m/%Y" in _comment(text, "date_orientation")
    assert "do not parse" not in _comment(text, "date_entree")
    assert contract.column("commentaire_court").type == "text"  # a third dates is not a date column
    assert "1 of 60 sample values are not plausible birth dates" in _comment(text, "date_naissance")
    bad = [(8, "date_orientation", "invalid_date"), (21, "date_naissance", "invalid_date")]
    bad.append((41, "date_orientation", "invalid_date"))
    assert _problems(sample, contract) == bad  # quarantined, as the comment says

    jsonl = _sample(tmp_path, "events_2025-11.jsonl")
    starts = ["hier" if i == 3 else f"2024-05-{1 + i % 28:02d}" for i in range(40)]
    events = [
        f'{{"event_id": "E{i}", "start_date": "{start}", "closed": {str(i % 3 == 0).lower()}, "nights": {i}.0}}'
        for i, start in enumerate(starts)
    ]
    jsonl.write_text("\n".join(events) + "\n", encoding="utf-8")
    contract, text = _draft(jsonl)
    assert contract.column("start_date").type == "date" and contract.format.date_format == "%Y-%m-%d"
    assert "1 of 40 sample values do not parse" in _comment(text, "start_date")
    # JSON's own booleans and numbers, drafted as ingestion reads them ('True' was drafted, and then not allowed)
    assert contract.column("closed").allowed == ("false", "true") and contract.column("nights").type == "integer"
    assert _problems(jsonl, contract) == [(4, "start_date", "invalid_date")]


def test_a_birth_date_on_the_programmes_day_is_plausible_when_the_machine_is_a_day_behind(tmp_path: Path) -> None:
    today = date.today() + timedelta(days=1)  # the programme's day (ABORD_TIMEZONE), past midnight already
    births = [f"{1 + i % 28:02d}/05/{1940 + i}" for i in range(30)] + [today.strftime("%d/%m/%Y")]
    sample = _sample(tmp_path, "participants_2025-11.csv")
    sample.write_text("id_participant;date_naissance\n" + "".join(f"P{i};{b}\n" for i, b in enumerate(births)))

    def notes(day: date) -> str:
        return " ".join(next(c for c in draft_contract(sample, today=day).columns if c.name == "date_naissance").notes)

    assert "plausible" not in notes(today)
    assert "1 of 31 sample values are not plausible birth dates" in notes(today - timedelta(days=1))


def test_one_date_format_per_file_that_of_most_date_columns(tmp_path: Path) -> None:
    rows = [f"D{i};{1 + i % 28:02d}/0{1 + i % 9}/{1950 + i};2024-06-{1 + i % 28:02d}" for i in range(40)]
    lines = ["Dossier;DOB;Visit", *rows]
    sample = _sample(tmp_path, "visits_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    contract, _ = _draft(sample)
    # a birth date is read by the identifier reader (day-first or ISO), not by format.date_format: it has no vote
    assert contract.column("DOB").role == "birth_date" and contract.column("Visit").type == "date"
    assert contract.format.date_format == "%Y-%m-%d"
    assert _problems(sample, contract) == []

    lines = ["Dossier;Entrée;Sortie;Visit"] + [
        f"D{i};{1 + i % 28:02d}/01/2024;{1 + i % 28:02d}/03/2024;2024-06-{1 + i % 28:02d}" for i in range(40)
    ]
    sample = _sample(tmp_path, "stays_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    contract, text = _draft(sample)
    assert contract.format.date_format == "%d/%m/%Y"
    assert (contract.column("Entrée").type, contract.column("Sortie").type) == ("date", "date")
    assert contract.column("Visit").type == "text"
    assert "dates in %Y-%m-%d where the file's date_format is %d/%m/%Y" in _comment(text, "Visit")
    assert _problems(sample, contract) == []


def test_unique_is_proposed_for_record_ids_only(tmp_path: Path) -> None:
    header = "Montant;Référence;Notes;Téléphone;Courriel;Poids;Ref dossier partenaire"
    rows = [
        f"{100 + i},{i:02d};R{i:04d};vu le {i}e jour;06 12 34 {i:02d} 78;p{i}@exemple.fr;{50 + i};X-{i}"
        for i in range(40)
    ]
    sample = _sample(tmp_path, "suivi_2025-11.csv")
    sample.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))

    contract, _ = _draft(sample)

    assert contract.record_id.name == "Référence" and contract.record_id.unique
    unique = {c.name for c in contract.columns if c.unique}
    assert unique == {"Référence", "Ref dossier partenaire"}  # named like a record id, and unique in the sample


def test_a_sample_without_an_id_column_says_so(tmp_path: Path) -> None:
    rows = [f"{['Lyon', 'Nîmes'][i % 2]};{100 + i},50;{i % 4}" for i in range(20)]
    sample = _sample(tmp_path, "montants_2025-11.csv")
    sample.write_bytes(("\r\n".join(["Site;Montant;Enfants", *rows]) + "\r\n").encode("utf-8"))
    contract, text = _draft(sample)
    assert contract.record_id.name == "Site"
    assert "no column looks like a record id" in _comment(text, "Site")
    assert not any(c.unique for c in contract.columns if c.role != "record_id")


def test_dates_written_with_a_time_of_day_are_drafted_as_dates(tmp_path: Path) -> None:
    """Access and database exports write a date as '03/02/2021 00:00:00': validation reads it as its date."""
    lines = ["Dossier;Entrée;Admission"]
    lines += [f"D{i:03d};{1 + i % 28:02d}/02/2021 00:00:00;{1 + i % 28:02d}/03/2021 09:{i:02d}" for i in range(40)]
    sample = _sample(tmp_path, "stays_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    contract, _ = _draft(sample)

    assert (contract.column("Entrée").type, contract.column("Admission").type) == ("date", "date")
    assert contract.format.date_format == "%d/%m/%Y"
    assert _problems(sample, contract) == []
    row = next(row for _, row in read_rows(sample, contract))
    assert validate_row(row, contract, TODAY)[0]["Entrée"] == date(2021, 2, 1)


def test_numbers_grouped_by_spaces_are_drafted_as_numbers(tmp_path: Path) -> None:
    """French Excel writes a number formatted with thousands as '1 234,50' (a no-break space, or the narrow one):
    validation reads it as the number it shows, so the draft types its column as a number with its decimal mark."""
    rents = ["850,00", "1\u00a0234,50", "2\u202f100,75"]
    lines = ["Dossier;Loyer;Caution"] + [f"D{i:03d};{rents[i % 3]};{['900', '1 200'][i % 2]}" for i in range(30)]
    sample = _sample(tmp_path, "loyers_2025-11.csv")
    sample.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))

    contract, _ = _draft(sample)

    assert (contract.column("Loyer").type, contract.column("Caution").type) == ("decimal", "integer")
    assert contract.format.decimal == ","
    assert _problems(sample, contract) == []
    values = [validate_row(row, contract, TODAY)[0] for _, row in read_rows(sample, contract)]
    assert [(v["Loyer"], v["Caution"]) for v in values[:3]] == [
        (Decimal("850.00"), 900),
        (Decimal("1234.50"), 1200),
        (Decimal("2100.75"), 900),
    ]


def test_lines_of_separators_only_are_no_rows_of_the_sample(tmp_path: Path) -> None:
    """Excel exports the empty rows it keeps formatted as lines of separators only (';;'), which ingestion skips
    (readers/delimited.py): in the sample they were rows with every value missing, so no column was required and the
    record id, in every real row, was said to be none ('ask the partner for one')."""
    sample = _sample(tmp_path, "entrees_2025-11.csv")
    sample.write_bytes(("\r\n".join([*LINES, *[";;"] * 5]) + "\r\n").encode("cp1252"))

    contract, text = _draft(sample)

    assert [c.name for c in contract.columns if c.required] == ["Dossier", "Site", "Entrée"]
    assert contract.record_id.name == "Dossier"
    assert "no column looks like a record id" not in _comment(text, "Dossier")
    assert _problems(sample, contract) == []


def test_a_ctrl_z_ending_the_sample_is_no_content(tmp_path: Path) -> None:
    """A DOS-era exporter ends the file with Ctrl-Z (0x1A), which ingestion drops (readers/bytes_checks.py): stuck
    to the last value ('429,50' then 0x1A), it made the column of amounts text in the draft."""
    rows = [f"D{i:03d};{['Lyon', 'Nîmes'][i % 2]};{400 + i},50" for i in range(30)]
    sample = _sample(tmp_path, "loyers_2025-11.csv")
    sample.write_bytes(("\r\n".join(["Dossier;Site;Loyer", *rows]) + "\x1a").encode("cp1252"))

    contract, _ = _draft(sample)

    assert (contract.column("Loyer").type, contract.format.decimal) == ("decimal", ",")
    assert _problems(sample, contract) == []


@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no_bom"])
@pytest.mark.parametrize("byte_order", ["utf-16-le", "utf-16-be"])
def test_a_utf16_tab_export_ending_in_a_ctrl_z_is_drafted_as_ingestion_reads_it(
    tmp_path: Path, byte_order: str, bom: bool
) -> None:
    """Excel's "Unicode text" (UTF-16, tabs) from an exporter that ends it with Ctrl-Z: the draft looked for the mark
    as the one byte 0x1A. Little-endian, the mark (1A 00) stuck to the last amount, drafted as text; big-endian
    (00 1A), half of it was cut off, and the sample refused as 'NUL bytes that are not UTF-16 text'."""
    rows = [f"D{i:03d}\t{['Lyon', 'Nîmes'][i % 2]}\t{400 + i},50" for i in range(30)]
    mark = codecs.BOM_UTF16_LE if byte_order == "utf-16-le" else codecs.BOM_UTF16_BE
    sample = _sample(tmp_path, "loyers_2025-11.csv")
    text = "\r\n".join(["Dossier\tSite\tLoyer", *rows]) + "\x1a"
    sample.write_bytes((mark if bom else b"") + text.encode(byte_order))

    contract, _ = _draft(sample)

    fmt = contract.format
    assert (fmt.encoding, fmt.delimiter) == ("utf-16" if bom else byte_order, "\t")
    assert (contract.column("Loyer").type, fmt.decimal) == ("decimal", ",")
    assert _problems(sample, contract) == []


@pytest.mark.parametrize(
    "content",
    [
        codecs.BOM_UTF16_LE,
        codecs.BOM_UTF16_BE,
        codecs.BOM_UTF16_LE + "\r\n\t\r\n".encode("utf-16-le"),
        codecs.BOM_UTF16_BE + "\r\n\r\n\x1a".encode("utf-16-be"),
        "\r\n\r\n".encode("utf-16-le"),
        codecs.BOM_UTF8 + b"\r\n",
        b"\r\n \r\n\x1a",
    ],
    ids=["utf16le_bom", "utf16be_bom", "utf16le_blank", "utf16be_blank_ctrl_z", "utf16le_no_bom", "utf8", "cp1252"],
)
def test_a_sample_of_only_a_byte_order_mark_or_blank_lines_is_empty_as_ingestion_says(
    tmp_path: Path, content: bytes
) -> None:
    """Ingestion rejects such a file as empty_file (readers/bytes_checks.py); the draft said it had no header line."""
    sample = _sample(tmp_path, "suivi_2025-11.csv")
    sample.write_bytes(content)
    refused = runner.invoke(app, ["contracts", "draft", str(sample), "--out", str(tmp_path / "draft.yml")])
    assert refused.exit_code == 1 and refused.output.strip() == "suivi_2025-11.csv: the file is empty", refused.output


def test_a_workbook_row_holding_an_excel_error_is_no_row_of_the_sample(tmp_path: Path) -> None:
    """A lookup that found nothing shows #N/A: ingestion quarantines its row (readers/xlsx_formulas.py), but the draft
    read the error as the column's text, and drafted a column of amounts as text."""
    sample = _sample(tmp_path, "suivi_2025-11.xlsx")
    book = Workbook()
    sheet = book.active
    sheet.append(["Dossier", "Montant", "Enfants"])
    for i in range(30):
        sheet.append([f"D{i:03d}", "#N/A" if i == 7 else 100.5 + i, "#REF!" if i == 9 else i % 3])
    book.save(sample)

    contract, _ = _draft(sample)

    assert (contract.column("Montant").type, contract.column("Enfants").type) == ("decimal", "integer")
    assert all(c.required for c in contract.columns)


def test_json_numbers_with_an_exponent_are_drafted_as_ingestion_reads_them(tmp_path: Path) -> None:
    """Python's json module writes a small float as 1e-05: ingestion reads it as the decimal 0.00001 (readers/jsonl.py),
    but the draft read it as a float written '1e-05', no number, and drafted the column as text."""
    sample = _sample(tmp_path, "mesures_2025-11.jsonl")
    lines = [json.dumps({"id": f"M{i}", "taux": [0.25, 1e-05, 2.5e-07][i % 3], "nombre": 1e2 * i}) for i in range(30)]
    sample.write_text("\n".join(lines) + "\n", encoding="utf-8")

    contract, _ = _draft(sample)

    assert (contract.column("taux").type, contract.column("nombre").type) == ("decimal", "integer")
    assert _problems(sample, contract) == []


@pytest.mark.parametrize("part", ["xl/theme/theme1.xml", "xl/worksheets/sheet1.xml"])
def test_a_workbook_damaged_in_transfer_is_refused_by_name(tmp_path: Path, part: str) -> None:
    """Compressed bytes damaged midway through a part read as the workbook opens, or through the sheet: zlib's error
    was a traceback."""
    sample = _sample(tmp_path, "suivi_2025-11.xlsx")
    book = Workbook()
    book.active.append(["Dossier", "Note"])
    for i in range(3000):  # notes that vary: the sheet is decompressed piece by piece as it streams
        book.active.append([f"D{i:04d}", "".join(random.Random(i).choices(string.ascii_letters, k=30))])
    book.save(sample)
    with zipfile.ZipFile(sample) as book:
        item = book.getinfo(part)
    data = bytearray(sample.read_bytes())
    middle = item.header_offset + 30 + len(item.filename) + len(item.extra) + item.compress_size // 2
    data[middle : middle + 4] = b"\xff" * 4
    sample.write_bytes(bytes(data))

    refused = runner.invoke(app, ["contracts", "draft", str(sample)])

    assert refused.exit_code == 1 and "suivi_2025-11.xlsx: " in refused.output
    assert "damaged" in refused.output and "Traceback" not in refused.output
