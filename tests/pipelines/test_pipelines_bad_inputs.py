"""The bad-input corpus: malformed extracts as partners send them, each with the error a steward sees.

Every case goes through ingest_file on a real PostgreSQL: a whole-file rejection names the file and says why;
a bad row is quarantined with its reason code and the rest loads; rows read = loaded + quarantined, always.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import json
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext, ingest_file
from pipelines.readers import FileRejected, RowUnreadable, bytes_checks, read_rows
from tests.pipelines.hmis_exports import CLIENTS, ENROLLMENTS, EXITS, SERVICES, damaged, hmis_zip

CONTRACTS = load_contracts()
VARIANTS = {"hmis": load_contracts(variants=("hmis",))}
TODAY = date(2026, 1, 15)

TENANCY_HEADER = "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel"
TENANCY_ROWS = [
    "B1;P1;Saint-Étienne;03/02/2021;;;452,30",
    "B2;P2;Lyon;01/03/2022;15/06/2023;rue;380,00",
    "B3;P3;Lyon;05/05/2023;;;410,5",
]
HEALTH_HEADER = (
    "encounter_id,family_name,given_name,birth_date,nir,sex,encounter_type,service,admission_date,discharge_date,"
    "discharge_mode"
)
HEALTH_ROWS = [
    "E1,Dupont,Hélène,1980-04-12,,F,urgence,general,2024-01-03,2024-01-03,domicile",
    "E2,Martin,Paul,1975-06-01,,M,hospitalisation,psychiatrie,2024-02-01,2024-02-11,deces",
    "E3,Nguyen,Linh,1990-09-30,,F,urgence,,2024-03-05,,",
]
JUSTICE_ROWS = [
    {"event_id": "J1", "surname": "Martin", "first_names": "Paul", "date_of_birth": "1975-06-01",
     "event_type": "garde_a_vue", "start_date": "2024-02-01", "end_date": "2024-02-02"},
    {"event_id": "J2", "surname": "Roux", "first_names": "Léa", "date_of_birth": "1988-11-23",
     "event_type": "incarceration", "start_date": "2024-03-01", "end_date": None},
]  # fmt: skip


def tenancies(rows=TENANCY_ROWS, header=TENANCY_HEADER, encoding="cp1252", end="\r\n", last_end=True) -> bytes:
    text = end.join([header, *rows]) + (end if last_end else "")
    return text.encode(encoding)


def health(rows=HEALTH_ROWS, header=HEALTH_HEADER, encoding="utf-8", last_end=True) -> bytes:
    return ("\n".join([header, *rows]) + ("\n" if last_end else "")).encode(encoding)


def justice(lines: list[str] | None = None, last_end=True) -> bytes:
    lines = lines if lines is not None else [json.dumps(r, ensure_ascii=False) for r in JUSTICE_ROWS]
    return ("\n".join(lines) + ("\n" if last_end else "")).encode("utf-8")


def _swap(rows: list[str], index: int, row: str) -> list[str]:
    return [row if i == index else r for i, r in enumerate(rows)]


@dataclass(frozen=True)
class Case:
    source: str
    content: bytes
    file_code: str | None = None  # the whole file is rejected with this code...
    message: str = ""  # ...and a message holding this text
    rows: dict[int, str] = field(default_factory=dict)  # else: source row -> reason code of each bad row
    file_name: str | None = None
    variant: str | None = None  # read with this contract variant (contracts/<variant>/)
    fmt: dict[str, str] = field(default_factory=dict)  # read with these format keys changed
    not_in_file: tuple[str, ...] = ()  # loaded, these columns its contract says it may lack not in it

    @property
    def contract(self):
        contract = (VARIANTS[self.variant] if self.variant else CONTRACTS)[self.source]
        return replace(contract, format=replace(contract.format, **self.fmt)) if self.fmt else contract


FILE_NAMES = {
    "housing_tenancies": "tenancies_2025-12.csv",
    "health_encounters": "encounters_2025-12.csv",
    "justice_events": "events_2025-12.jsonl",
}
HMIS_EXPORT = "hmis_2025-12.zip"
BAD_JSON = '{"event_id": "J9", "surname": "X"'
UNICODE = {"encoding": "utf-16", "delimiter": "\t"}  # Excel's "Unicode text" export

CASES = {
    # --- the whole file cannot be read: rejected, named, with a reason
    "empty file": Case("housing_tenancies", b"", "empty_file", "the file is empty"),
    "only blank lines": Case("housing_tenancies", b"\r\n \r\n", "empty_file", "the file is empty"),
    "header but no rows": Case("housing_tenancies", tenancies(rows=[]), "no_rows", "a header but no rows"),
    "empty jsonl": Case("justice_events", b"\n\n", "empty_file", "the file is empty"),
    # a DOS-era exporter's end-of-file mark (Ctrl-Z) and nothing else: no_header, as if a header were blank
    "only a Ctrl-Z": Case("housing_tenancies", b"\x1a", "empty_file", "the file is empty"),
    "jsonl of blank lines and a Ctrl-Z": Case("justice_events", b"\r\n\x1a", "empty_file", "the file is empty"),
    # Excel's "Unicode text" (UTF-16, a byte-order mark, tabs): its mark and line breaks are no content, but were
    # looked for as bytes ('\r\x00'), so such a file said no_header; so did a UTF-8 file of its mark alone
    **{
        f"UTF-16 {order.upper()}, {what}": Case(
            "housing_tenancies", bom + text.encode(f"utf-16-{order}"), "empty_file", "the file is empty", fmt=UNICODE
        )
        for order, bom in (("le", codecs.BOM_UTF16_LE), ("be", codecs.BOM_UTF16_BE))
        for what, text in (
            ("only its byte-order mark", ""),
            ("only blank lines", "\r\n\t\r\n"),
            ("a Ctrl-Z", "\r\n\x1a"),
        )
    },
    "UTF-8, only its byte-order mark": Case("health_encounters", codecs.BOM_UTF8, "empty_file", "the file is empty"),
    "jsonl of a byte-order mark and a blank line": Case(
        "justice_events", codecs.BOM_UTF8 + b"\r\n", "empty_file", "the file is empty"
    ),
    # an optional key in no line is fine (JUSTICE_ROWS have no nir); a renamed or a required one is not
    "jsonl key renamed in every line": Case(
        "justice_events",
        justice([json.dumps({"last_name" if k == "surname" else k: v for k, v in r.items()}) for r in JUSTICE_ROWS]),
        "missing_column",
        "key(s) surname in no line (renamed: 'last_name' instead of 'surname'?)",
    ),
    "jsonl NUL character in a value": Case(
        "justice_events",
        justice([json.dumps(JUSTICE_ROWS[0]), json.dumps({**JUSTICE_ROWS[1], "surname": "Ro\x00ux"})]),
        rows={2: "nul_byte"},
    ),
    "jsonl required key in no line": Case(
        "justice_events",
        justice([json.dumps({k: v for k, v in r.items() if k != "start_date"}) for r in JUSTICE_ROWS]),
        "missing_column",
        "key(s) start_date in no line",
    ),
    # Excel exports a cell's error as its text: '#N/A' loaded as a site; in a number column it was invalid_number
    "excel error values exported as text": Case(
        "housing_tenancies",
        tenancies(rows=[*TENANCY_ROWS, "B4;P4;#N/A;05/05/2023;;;410,5", "B5;P5;#1 rue;05/05/2023;;;#DIV/0!"]),
        rows={4: "formula_error", 5: "formula_error"},
    ),
    "missing column": Case(
        "housing_tenancies",
        tenancies(rows=[r.rsplit(";", 1)[0] for r in TENANCY_ROWS], header=TENANCY_HEADER.rsplit(";", 1)[0]),
        "missing_column",
        "missing column(s) loyer_mensuel",
    ),
    # a column the contract says a file may lack (optional_in_file) loads empty, and the batch says so; renamed, it
    # is refused as any other
    "hospital export without the discharge mode it may lack": Case(
        "health_encounters",
        health(
            rows=[r.rsplit(",", 1)[0] for r in _swap(HEALTH_ROWS, 1, HEALTH_ROWS[1].replace(",M,", ",H,"))],
            header=HEALTH_HEADER.rsplit(",", 1)[0],
        ),
        rows={2: "not_allowed"},
        not_in_file=("discharge_mode",),
    ),
    "hospital export with its discharge mode renamed": Case(
        "health_encounters",
        health(header=HEALTH_HEADER.replace("discharge_mode", "Discharge_Mode")),
        "missing_column",
        "missing column(s) discharge_mode in the header (renamed: 'Discharge_Mode' instead of 'discharge_mode'?)",
    ),
    "renamed column": Case(
        "housing_tenancies",
        tenancies(header=TENANCY_HEADER.replace("motif_sortie", "motif_de_sortie")),
        "missing_column",
        "'motif_de_sortie' instead of 'motif_sortie'?",
    ),
    "comma where the contract says semicolon": Case(
        "housing_tenancies",
        tenancies(
            rows=[r.replace(";", ",").replace("452,30", "452.30") for r in TENANCY_ROWS[:1]],
            header=TENANCY_HEADER.replace(";", ","),
        ),
        "wrong_separator",
        "separated by ',' where the contract says ';'",
    ),  # fmt: skip
    "tab where the contract says comma": Case(
        "health_encounters",
        health(rows=[r.replace(",", "\t") for r in HEALTH_ROWS], header=HEALTH_HEADER.replace(",", "\t")),
        "wrong_separator",
        "separated by '\\t' where the contract says ','",
    ),
    "utf-8 BOM on a cp1252 contract": Case(
        "housing_tenancies",
        codecs.BOM_UTF8 + tenancies(encoding="utf-8"),
        "unexpected_bom",
        "utf-8 byte-order mark but the contract says cp1252",
    ),
    "a UTF-8 export under a cp1252 contract": Case(
        "housing_tenancies",
        tenancies(encoding="utf-8"),
        "unexpected_utf8",
        "line 2: the file is UTF-8 but the contract says cp1252",
    ),
    "a UTF-8 export whose first accent is far down": Case(
        "housing_tenancies",
        tenancies(
            rows=[*[f"B{i};P{i};Lyon;03/02/2021;;;452,30" for i in range(10, 60)], TENANCY_ROWS[0]], encoding="utf-8"
        ),
        "unexpected_utf8",
        "line 52: the file is UTF-8 but the contract says cp1252",
    ),  # fmt: skip
    "utf-16 export": Case("health_encounters", health(encoding="utf-16"), "unexpected_bom", "utf-16 byte-order mark"),
    "latin-1 bytes in a utf-8 file": Case(
        "health_encounters", health(encoding="latin-1"), "bad_encoding", "line 2, byte 12: bytes that are not valid"
    ),
    "windows-1252 bytes in json lines": Case(
        "justice_events",
        justice([json.dumps(JUSTICE_ROWS[0]), json.dumps(JUSTICE_ROWS[1], ensure_ascii=False)]).replace(
            "Léa".encode(), "Léa".encode("cp1252")
        ),
        "bad_encoding",
        "line 2",
    ),
    "a workbook renamed .csv": Case(
        "housing_tenancies", b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), "not_text", "ZIP archive or an XLSX"
    ),
    "a gzip renamed .csv": Case("health_encounters", gzip.compress(health()), "not_text", "gzip archive"),
    "column twice in the header": Case(
        "housing_tenancies",
        tenancies(rows=[r + ";Lyon" for r in TENANCY_ROWS], header=TENANCY_HEADER + ";site"),
        "duplicate_column",
        "column(s) site appear twice",
    ),
    "blank first line": Case(
        "housing_tenancies", b"\r\n" + tenancies(), "no_header", "the first line is blank where the header"
    ),
    "quote never closed": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, 'B1;P1;"Saint-Étienne;03/02/2021;;;452,30')),
        "unclosed_quote",
        "line 2 opens a quoted value that is never closed",
    ),
    # csv's field limit (128 KiB) is reached long before the file ends: the rows the open quote swallowed are
    # no field of one row, and the rows after it are not the whole file
    "quote never closed far from the end": Case(
        "housing_tenancies",
        tenancies(
            rows=['B0;P0;"Lyon;03/02/2021;;;452,30', *(f"B{i};P{i};Lyon;03/02/2021;;;452,30" for i in range(1, 5000))]
        ),
        "unclosed_quote",
        "line 2 opens a quoted value that is never closed",
    ),  # fmt: skip
    # a closed quoted value over the limit, on many lines (a database's case note), cannot be told from it: the
    # message says both, never "never closed" alone to a steward who will find the closing quote
    "a quoted value over the field limit, on many lines": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, 'B1;P1;"' + "Lyon\r\n" * 30_000 + '";03/02/2021;;;452,30')),
        "unclosed_quote",
        "line 2 opens a quoted value that is never closed, or longer than a field holds (it runs on past line",
    ),
    "no header line: data first": Case(
        "housing_tenancies",
        tenancies(header=TENANCY_ROWS[0]),
        "missing_column",
        "none of the contract's columns is in the first line (no header line?)",
    ),
    "no period in the file name": Case(
        "housing_tenancies", tenancies(), "no_period", "no period in the file name", file_name="tenancies.csv"
    ),
    # loaded, its month 13 stopped every dbt build (int_sources_observed takes a period for a date)
    "a month 13 in the file name": Case(
        "housing_tenancies",
        tenancies(rows=TENANCY_ROWS[:2]),
        "bad_period",
        "tenancies_2025-13.csv: the period in the file name, 2025-13, is no month",
        file_name="tenancies_2025-13.csv",
    ),
    # loaded, a month to come (2052-01 for 2025-01) became the current period: every month sent until then outdated
    # on arrival, and the source observed to its end; the month after today's is the nearest such typo
    "a month to come in the file name": Case(
        "housing_tenancies",
        tenancies(rows=TENANCY_ROWS[1:]),
        "future_period",
        "tenancies_2026-02.csv: the period in the file name, 2026-02, is after the current month, 2026-01",
        file_name="tenancies_2026-02.csv",
    ),
    # --- single rows cannot be read: quarantined, the rest loads
    "a row with a field too many": Case(
        "housing_tenancies", tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1] + ";x")), rows={2: "field_count"}
    ),
    "a row with a field too few": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, TENANCY_ROWS[0].rsplit(";", 2)[0])),
        rows={1: "field_count"},
    ),
    "truncated last line": Case(
        "housing_tenancies", tenancies(rows=[*TENANCY_ROWS, "B4;P4;Ly"], last_end=False), rows={4: "truncated_row"}
    ),
    "last line cut inside a quoted value": Case(
        "health_encounters", health(rows=[*HEALTH_ROWS, 'E4,"Dup'], last_end=False), rows={4: "truncated_row"}
    ),
    "no final line break is fine": Case("health_encounters", health(last_end=False)),
    # a DOS-era exporter ends the file with Ctrl-Z (0x1A): it made a row of its own (quarantined as cut off), or
    # stuck to the last value (no number)
    "a Ctrl-Z end-of-file mark after the last line is no row": Case("housing_tenancies", tenancies() + b"\x1a"),
    "a Ctrl-Z end-of-file mark right after the last value": Case(
        "housing_tenancies", tenancies(last_end=False) + b"\x1a"
    ),
    "a Ctrl-Z end-of-file mark after the last JSON line": Case("justice_events", justice() + b"\x1a"),
    "a Ctrl-Z after a cut-off last line: still cut off": Case(
        "housing_tenancies",
        tenancies(rows=[*TENANCY_ROWS, "B4;P4;Ly"], last_end=False) + b"\x1a",
        rows={4: "truncated_row"},
    ),
    "text after a closing quote": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 2, 'B3;P3;"Lyon"x;05/05/2023;;;410,5')),
        rows={3: "bad_quoting"},
    ),
    "a value longer than a field may hold": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1].replace("Lyon", "L" * 200_000))),
        rows={2: "field_too_large"},
    ),
    "blank lines between rows are no rows": Case(
        "housing_tenancies", tenancies(rows=[TENANCY_ROWS[0], "", TENANCY_ROWS[1], "", TENANCY_ROWS[2]])
    ),
    # Excel exports the rows it keeps formatted (a border, a cleared row) as separators only: no values, no row
    "lines of separators only are no rows": Case(
        "housing_tenancies", tenancies(rows=[TENANCY_ROWS[0], ";;;;;;", *TENANCY_ROWS[1:], ";;;;;;", ";;;;;;;"])
    ),
    "a cut-off last line of separators only: still cut off": Case(
        "housing_tenancies", tenancies(rows=[*TENANCY_ROWS, ";;"], last_end=False), rows={4: "truncated_row"}
    ),
    "utf-8 BOM on a utf-8 contract is fine": Case("health_encounters", codecs.BOM_UTF8 + health()),
    "cp1252 text with one accent that reads as UTF-8 is cp1252": Case(
        "housing_tenancies",  # 'Ã©' is C3 A9, UTF-8 for 'é'; a later 'É' (C9 before a letter) is not UTF-8
        tenancies(rows=[TENANCY_ROWS[1].replace("Lyon", "LyonÃ©"), TENANCY_ROWS[0], TENANCY_ROWS[2]]),
    ),
    "a NUL byte inside a field": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1].replace("Lyon", "Ly\x00on"))),
        rows={2: "nul_byte"},
    ),
    "a NUL byte in a column the contract does not read": Case(
        "housing_tenancies",
        tenancies(
            rows=[r + (";a\x00b" if i == 0 else ";") for i, r in enumerate(TENANCY_ROWS)],
            header=TENANCY_HEADER + ";commentaire",
        ),
    ),  # fmt: skip
    "a NUL byte in a utf-8 file's last row, without a final line break": Case(
        "health_encounters",
        health(rows=_swap(HEALTH_ROWS, 2, HEALTH_ROWS[2].replace("Nguyen", "Nguyen\x00\x00")), last_end=False),
        rows={3: "nul_byte"},
    ),
    # --- rows that read but do not validate
    "missing record id": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, ";" + TENANCY_ROWS[0][3:])),
        rows={1: "missing_value"},
    ),
    "impossible date": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, TENANCY_ROWS[0].replace("03/02/2021", "31/02/2021"))),
        rows={1: "invalid_date"},
    ),
    "ISO date in a French file": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, TENANCY_ROWS[0].replace("03/02/2021", "2021-02-03"))),
        rows={1: "invalid_date"},
    ),
    "date before 1900": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1].replace("01/03/2022", "01/03/1822"))),
        rows={2: "implausible_date"},
    ),
    "date in the future": Case(
        "health_encounters",
        health(rows=_swap(HEALTH_ROWS, 2, HEALTH_ROWS[2].replace("2024-03-05", "2099-03-05"))),
        rows={3: "implausible_date"},
    ),
    "value outside the allowed list": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1].replace(";rue;", ";vacances;"))),
        rows={2: "not_allowed"},
    ),
    "letter O for zero in a rent": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, TENANCY_ROWS[0].replace("452,30", "4O2,30"))),
        rows={1: "invalid_decimal"},
    ),
    "a dot in a rent where the decimal mark is a comma (1.234: a thousands separator?)": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 0, TENANCY_ROWS[0].replace("452,30", "1.234"))),
        rows={1: "invalid_decimal"},
    ),
    "negative rent": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 2, TENANCY_ROWS[2].replace("410,5", "-410,5"))),
        rows={3: "out_of_range"},
    ),
    "exit before entry": Case(
        "housing_tenancies",
        tenancies(rows=_swap(TENANCY_ROWS, 1, TENANCY_ROWS[1].replace("15/06/2023", "15/06/2021"))),
        rows={2: "date_order"},
    ),
    "record id twice in the file": Case(
        "housing_tenancies",
        tenancies(rows=[*TENANCY_ROWS, TENANCY_ROWS[0].replace("P1", "P9")]),
        rows={4: "duplicate_id"},
    ),
    "implausible birth date": Case(
        "health_encounters",
        health(rows=_swap(HEALTH_ROWS, 0, HEALTH_ROWS[0].replace("1980-04-12", "1850-04-12"))),
        rows={1: "invalid_date"},
    ),
    "nobody to recognise": Case(
        "health_encounters",
        health(rows=_swap(HEALTH_ROWS, 1, "E2,,,,,M,hospitalisation,psychiatrie,2024-02-01,2024-02-11,deces")),
        rows={2: "no_identifier"},
    ),
    "discharge before admission and a bad sex code": Case(
        "health_encounters",
        health(rows=_swap(HEALTH_ROWS, 1, HEALTH_ROWS[1].replace(",M,", ",X,").replace("2024-02-11", "2024-01-11"))),
        rows={2: "not_allowed"},  # one row, two reasons: both in audit (checked below)
    ),
    "a line that is not JSON": Case(
        "justice_events",
        justice([json.dumps(JUSTICE_ROWS[0]), BAD_JSON, json.dumps(JUSTICE_ROWS[1])]),
        rows={2: "invalid_json"},
    ),
    "a JSON line that is a list": Case(
        "justice_events", justice([json.dumps(JUSTICE_ROWS[0]), "[1, 2]"]), rows={2: "not_an_object"}
    ),
    "a nested JSON value": Case(
        "justice_events",
        justice([json.dumps({**JUSTICE_ROWS[0], "event_type": {"code": "garde_a_vue"}})]),
        rows={1: "nested_value"},
    ),
    "a JSON key twice in one line, with two values (JSON keeps the last, silently)": Case(
        "justice_events",
        justice([json.dumps(JUSTICE_ROWS[0])[:-1] + ', "start_date": "2024-03-01"}', json.dumps(JUSTICE_ROWS[1])]),
        rows={1: "duplicate_key"},
    ),
    "a JSON key twice as true and 1 (equal in Python, two values in JSON)": Case(
        "justice_events",
        justice(
            [
                json.dumps({k: v for k, v in JUSTICE_ROWS[0].items() if k != "end_date"})[:-1]
                + ', "end_date": true, "end_date": 1}'
            ]
        ),
        rows={1: "duplicate_key"},
    ),
    "a JSON key twice in one line with one value is fine": Case(
        "justice_events",
        justice([json.dumps(JUSTICE_ROWS[0])[:-1] + ', "event_id": "J1", "x": {"a": 1, "a": 2}}']),
    ),
    "truncated last JSON line": Case(
        "justice_events", justice([json.dumps(JUSTICE_ROWS[0]), BAD_JSON], last_end=False), rows={2: "truncated_row"}
    ),
    "several bad rows at once": Case(
        "housing_tenancies",
        tenancies(
            rows=[
                TENANCY_ROWS[0],
                "B2;P2;Lyon;01/13/2022;;;380,00",
                "B5;P5;Lyon",
                TENANCY_ROWS[2],
                "B6;;Lyon;01/01/2024;;;1,00",
            ]
        ),
        rows={2: "invalid_date", 3: "field_count", 5: "missing_value"},
    ),
    # --- a HUD HMIS CSV export (contracts/hmis/): the export is one file, its reasons name the CSV inside
    "HMIS: a column renamed in Client.csv": Case(
        "housing_participants",
        hmis_zip(rename=("Client", "LastName", "Last_Name")),
        "missing_column",
        "Client.csv: missing column(s) LastName of the FY2024 column set (renamed: 'Last_Name' instead of 'LastName'?)",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: an FY2022 export": Case(
        "housing_participants",
        hmis_zip(csv_version="FY2022"),
        "unsupported_hmis_version",
        "Export.csv says CSVVersion 'FY2022': abord reads FY2024 and FY2026 exports",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: no Enrollment.csv in the export": Case(
        "housing_tenancies",
        hmis_zip("FY2026", leave_out="Enrollment"),
        "missing_hmis_file",
        "Enrollment.csv is not in the export",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    # a member damaged in transfer: zlib's error, or zipfile's Bad CRC-32 once a stored one is read, was a traceback
    "HMIS: Client.csv's compressed data damaged": Case(
        "housing_participants",
        damaged(hmis_zip(), "Client.csv"),
        "damaged_zip",
        "Client.csv: its compressed data is damaged or cut off (error): damaged in transfer? Ask for the export again",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: Enrollment.csv's stored data damaged": Case(
        "housing_participants",
        damaged(hmis_zip(), "Enrollment.csv", zipfile.ZIP_STORED),
        "damaged_zip",
        "Enrollment.csv: its compressed data is damaged or cut off (BadZipFile)",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: an enrollment in an unknown project, an exit before the move-in": Case(
        "housing_tenancies",
        hmis_zip(
            enrollments=[{**ENROLLMENTS[0], "ProjectID": "PSH9"}, ENROLLMENTS[1]],
            exits=[{**EXITS[0], "ExitDate": "2023-03-01"}],
        ),
        rows={1: "unknown_project", 2: "date_order"},
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: an exit to a destination no code list has": Case(
        "housing_tenancies",
        hmis_zip(exits=[{**EXITS[0], "Destination": "999"}]),
        rows={2: "not_allowed"},
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: a NUL byte in a client's name": Case(
        "housing_participants",
        hmis_zip(clients=[CLIENTS[0], {**CLIENTS[1], "LastName": "Mar\x00tin"}]),
        rows={2: "nul_byte"},
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: a client never enrolled": Case(
        "housing_participants",
        hmis_zip(clients=[*CLIENTS, {"PersonalID": "C3", "FirstName": "Léa", "LastName": "Roux"}]),
        rows={3: "no_enrollment"},
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: a column renamed in Services.csv": Case(
        "housing_support_contacts",
        hmis_zip(rename=("Services", "DateProvided", "ServiceDate")),
        "missing_column",
        "Services.csv: missing column(s) DateProvided of the FY2024 column set",
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: a service of a RecordType no code list has": Case(
        "housing_support_contacts",
        hmis_zip(services=[*SERVICES, {**SERVICES[0], "ServicesID": "S4", "RecordType": "999"}]),
        rows={4: "not_allowed"},
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
    "HMIS: services of an unknown enrollment, of another client, outside their enrollment": Case(
        "housing_support_contacts",
        hmis_zip(
            services=[
                {**SERVICES[0], "EnrollmentID": "E9"},
                SERVICES[1],
                {**SERVICES[2], "PersonalID": "C1"},
                {**SERVICES[0], "ServicesID": "S4", "DateProvided": "2023-01-09"},  # the day before its entry
                {**SERVICES[2], "ServicesID": "S5", "DateProvided": "2024-02-01"},  # the day after its exit
                {**SERVICES[2], "ServicesID": "S6", "DateProvided": "2023-13-01"},
            ]
        ),
        rows={
            1: "no_enrollment",
            3: "unknown_client",
            4: "date_outside_enrollment",
            5: "date_outside_enrollment",
            6: "invalid_date",
        },
        file_name=HMIS_EXPORT,
        variant="hmis",
    ),
}


class _NoRedaction:
    def redact_many(self, texts, names):
        return texts


@pytest.fixture
def ctx(make_ingest_context) -> IngestContext:
    return make_ingest_context(_NoRedaction, TODAY)


def test_the_corpus_is_big_and_distinct() -> None:
    assert len(CASES) >= 30
    assert len({case.content for case in CASES.values()}) == len(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_each_bad_extract_gets_its_error_and_the_rows_balance(ctx: IngestContext, tmp_path: Path, name: str) -> None:
    case = CASES[name]
    contract = case.contract
    path = tmp_path / "landing" / (case.file_name or FILE_NAMES[case.source])
    path.parent.mkdir(parents=True)
    path.write_bytes(case.content)

    summary = ingest_file(ctx, contract, path)

    with psycopg.connect(ctx.url) as conn:
        *batch, not_in_file = conn.execute(
            "select status, rows_read, rows_loaded, rows_quarantined, not_in_file from audit.batches"
            " where batch_id = %s",
            (summary.batch_id,),
        ).fetchone()
        reasons = conn.execute(
            "select source_row, reason_code from audit.rejections where batch_id = %s", (summary.batch_id,)
        ).fetchall()
        in_raw = conn.execute(f"select count(*) from {contract.raw_table}").fetchone()[0]
    status, read, loaded, quarantined = batch
    assert read == loaded + quarantined and loaded == in_raw
    assert (read, loaded, quarantined) == (summary.rows_read, summary.rows_loaded, summary.rows_quarantined)
    assert tuple(not_in_file) == summary.not_in_file == case.not_in_file
    quarantine_file = ctx.quarantine_dir / case.source / f"{path.name}.rejected.csv"

    if case.file_code:
        assert status == summary.status == "rejected"
        assert reasons == [(0, case.file_code)]
        assert summary.message.startswith(f"{path.name}: ") and case.message in summary.message
        # the message reaches logs and Dagster events: it names columns and lines, never a value
        assert not any(value in summary.message for value in ("Dupont", "Hélène", "Martin", "Saint-Étienne", "P1"))
        with quarantine_file.open(encoding="utf-8") as handle:
            (line,) = list(csv.DictReader(handle))
        assert (line["reason_code"], line["message"]) == (case.file_code, summary.message)
        return

    assert status == summary.status == "loaded"
    assert {row: code for row, code in reasons if code == case.rows.get(row)} == case.rows
    assert {row for row, _ in reasons} == set(case.rows)
    assert quarantined == len(case.rows)
    if case.rows:
        with quarantine_file.open(encoding="utf-8") as handle:
            lines = list(csv.DictReader(handle))
        assert {int(line["source_row"]) for line in lines} == set(case.rows)
        assert all(case.rows[int(line["source_row"])] in line["reason_code"].split("; ") for line in lines)
    else:
        assert not quarantine_file.exists()


def test_a_file_for_the_current_month_loads(ctx: IngestContext, tmp_path: Path) -> None:
    """The month the load runs in is no month to come: its extract, sent on its last day or early, loads."""
    path = tmp_path / f"tenancies_{TODAY:%Y-%m}.csv"
    path.write_bytes(tenancies())
    assert ingest_file(ctx, CONTRACTS["housing_tenancies"], path).status == "loaded"


def test_one_row_with_two_problems_has_both_reasons(ctx: IngestContext, tmp_path: Path) -> None:
    case = CASES["discharge before admission and a bad sex code"]
    path = tmp_path / FILE_NAMES[case.source]
    path.write_bytes(case.content)
    summary = ingest_file(ctx, CONTRACTS[case.source], path)
    with psycopg.connect(ctx.url) as conn:
        counts = conn.execute(
            "select reason_code, rows from audit.rejection_counts where batch_id = %s order by reason_code",
            (summary.batch_id,),
        ).fetchall()
    assert counts == [("date_order", 1), ("not_allowed", 1)]
    assert summary.rows_quarantined == 1


def test_a_rejected_file_is_not_recorded_twice_until_its_contract_changes(ctx: IngestContext, tmp_path: Path) -> None:
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    path.write_bytes(CASES["comma where the contract says semicolon"].content)
    contract = CONTRACTS["housing_tenancies"]
    first = ingest_file(ctx, contract, path)
    assert first.status == "rejected"
    again = ingest_file(ctx, contract, path)
    assert (again.status, again.batch_id) == ("already_rejected", first.batch_id)
    assert again.message == (
        f"the same bytes as batch {first.batch_id} ({path.name}), rejected (wrong_separator) under this same contract"
    )
    fixed = replace(contract, format=replace(contract.format, delimiter=","))
    assert ingest_file(ctx, fixed, path).status == "loaded"


@pytest.mark.parametrize(
    "name", ["no period in the file name", "a month 13 in the file name", "a month to come in the file name"]
)
def test_a_file_rejected_for_its_name_loads_once_renamed(ctx: IngestContext, tmp_path: Path, name: str) -> None:
    """Renaming is the fix of a misnamed file: its bytes unchanged, it is no file already rejected."""
    case = CASES[name]
    path = tmp_path / case.file_name
    path.write_bytes(case.content)
    assert ingest_file(ctx, CONTRACTS[case.source], path).status == "rejected"
    assert ingest_file(ctx, CONTRACTS[case.source], path).status == "already_rejected"
    renamed = path.rename(tmp_path / FILE_NAMES[case.source])
    assert ingest_file(ctx, CONTRACTS[case.source], renamed).status == "loaded"


def test_windows_1252_characters_load_as_themselves(ctx: IngestContext, tmp_path: Path) -> None:
    """’, œ and € are Windows-1252 bytes 0x92, 0x9C and 0x80: read as latin-1 they became C1 control characters."""
    rows = [TENANCY_ROWS[0].replace("Saint-Étienne", "L’Isle-d’Abeau"), TENANCY_ROWS[1].replace("Lyon", "Sœur € Cœur")]
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    path.write_bytes(tenancies(rows=rows))
    summary = ingest_file(ctx, CONTRACTS["housing_tenancies"], path)
    assert (summary.status, summary.rows_loaded) == ("loaded", 2)
    with psycopg.connect(ctx.url) as conn:
        sites = [site for (site,) in conn.execute("select site from raw.housing_tenancies order by source_row")]
    assert sites == ["L’Isle-d’Abeau", "Sœur € Cœur"]


def test_a_nul_row_names_its_line_and_column_and_never_its_value(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    path.write_bytes(CASES["a NUL byte inside a field"].content)
    rows = list(read_rows(path, CONTRACTS["housing_tenancies"]))
    assert [number for number, _ in rows] == [1, 2, 3]
    (bad,) = [row for _, row in rows if isinstance(row, RowUnreadable)]
    assert bad.code == "nul_byte"
    assert str(bad) == "line 3: site holds a NUL character (byte 0x00), which the warehouse cannot store"


def test_an_excel_error_in_a_csv_names_its_line_and_columns_as_in_a_workbook(tmp_path: Path) -> None:
    """Each of Excel's error values, in a column read; one in a column the contract leaves, or a '#' in a value,
    is no matter."""
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    errors = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
    rows = [f"B{i};P{i};{error};05/05/2023;;;410,5;x" for i, error in enumerate(errors)]
    rows += ["B8;P8;Lyon #2;05/05/2023;;#N/A;#REF!;#N/A", "B9;P9;Lyon;05/05/2023;;;410,5;#N/A"]
    path.write_bytes(tenancies(rows=rows, header=f"{TENANCY_HEADER};commentaire"))

    read = list(read_rows(path, CONTRACTS["housing_tenancies"]))

    unreadable = [(n, row.code) for n, row in read if isinstance(row, RowUnreadable)]
    assert unreadable == [(n, "formula_error") for n in range(1, 9)]
    assert str(read[0][1]).startswith("line 2: site #N/A: an Excel error, not a value (a formula that failed")
    assert str(read[7][1]).startswith("line 9: motif_sortie #N/A, loyer_mensuel #REF!: an Excel error")
    # the row as read, for the steward to fix in the quarantine file
    assert read[7][1].fields == dict(zip(TENANCY_HEADER.split(";"), rows[7].split(";"), strict=False))
    assert read[8] == (9, dict(zip(TENANCY_HEADER.split(";"), rows[8].split(";"), strict=False)))


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 1 << 20])
def test_utf8_is_told_from_cp1252_across_chunk_boundaries(tmp_path: Path, monkeypatch, chunk: int) -> None:
    """A sequence split between two reads is still UTF-8; the line is counted across reads."""
    monkeypatch.setattr(bytes_checks, "CHUNK", chunk)
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    contract = CONTRACTS["housing_tenancies"]
    path.write_bytes(tenancies(rows=[TENANCY_ROWS[1], TENANCY_ROWS[0]], encoding="utf-8"))
    with pytest.raises(FileRejected, match="line 3: the file is UTF-8 but the contract says cp1252"):
        list(read_rows(path, contract))
    path.write_bytes(tenancies(rows=[TENANCY_ROWS[1], TENANCY_ROWS[0]]))
    assert [row["site"] for _, row in read_rows(path, contract)] == ["Lyon", "Saint-Étienne"]
    # cut inside its last sequence, a UTF-8 file is still UTF-8
    path.write_bytes(tenancies(rows=[TENANCY_ROWS[1], "B4;P4;Saint-É"], encoding="utf-8", last_end=False)[:-1])
    with pytest.raises(FileRejected, match="line 3: the file is UTF-8"):
        list(read_rows(path, contract))


@pytest.mark.parametrize("byte_order", ["utf-16-le", "utf-16-be"])
def test_a_utf16_tab_export_is_read_to_its_end(tmp_path: Path, byte_order: str) -> None:
    """Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated. Its line break is two bytes, the last
    one 0x00 (little-endian): a whole file's short last row was called cut off, and a Ctrl-Z ending it made a row."""
    contract = CONTRACTS["housing_tenancies"]
    contract = replace(contract, format=replace(contract.format, encoding="utf-16", delimiter="\t"))
    header, first, short = TENANCY_HEADER.replace(";", "\t"), TENANCY_ROWS[0].replace(";", "\t"), "B2\tP2\tLyon"
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    bom = codecs.BOM_UTF16_LE if byte_order == "utf-16-le" else codecs.BOM_UTF16_BE

    def read(text: str) -> list[tuple[int, str]]:
        path.write_bytes(bom + text.encode(byte_order))
        rows = read_rows(path, contract)
        return [(n, row.code if isinstance(row, RowUnreadable) else row["site"]) for n, row in rows]

    whole = f"{header}\r\n{first}\r\n{short}"
    assert read(f"{whole}\r\n") == [(1, "Saint-Étienne"), (2, "field_count")], "short, but whole"
    assert read(f"{whole}\r\n\x1a") == [(1, "Saint-Étienne"), (2, "field_count")], "a Ctrl-Z is no row"
    assert read(whole) == [(1, "Saint-Étienne"), (2, "truncated_row")], "no line break: cut off"
    assert read(f"{whole}\x1a") == [(1, "Saint-Étienne"), (2, "truncated_row")]
    assert read(f"{header}\r\n{first}") == [(1, "Saint-Étienne")], "a whole last row needs no line break"


@pytest.mark.parametrize("chunk", [1, 3, 1 << 20])
@pytest.mark.parametrize("byte_order", ["utf-16-le", "utf-16-be"])
def test_a_utf16_export_names_the_line_of_its_bad_bytes(tmp_path: Path, monkeypatch, byte_order: str, chunk: int):
    """Looked for line by line in binary, a UTF-16 file was split after the '\\n' byte, and every line but the first
    misaligned: its bad bytes were said to be on line 1 (little-endian), or nowhere. A half surrogate on line 4 (line 3
    holding 'ਅĀਅ', whose bytes hold a '\\n' of either byte order across two characters), then the file cut inside its
    last character."""
    monkeypatch.setattr(bytes_checks, "CHUNK", chunk)
    contract = CONTRACTS["housing_tenancies"]
    contract = replace(contract, format=replace(contract.format, encoding="utf-16", delimiter="\t"))
    rows = [TENANCY_HEADER, TENANCY_ROWS[0], TENANCY_ROWS[1].replace("rue", "\u0a05\u0100\u0a05"), TENANCY_ROWS[2]]
    bom = codecs.BOM_UTF16_LE if byte_order == "utf-16-le" else codecs.BOM_UTF16_BE
    text = bom + "".join(f"{row.replace(';', chr(9))}\r\n" for row in rows).encode(byte_order)
    path = tmp_path / FILE_NAMES["housing_tenancies"]
    fourth = text.index("B3".encode(byte_order))
    path.write_bytes(text[:fourth] + "\ud800".encode(byte_order, "surrogatepass") + text[fourth:])
    with pytest.raises(FileRejected, match="line 4, byte 1: bytes that are not valid utf-16"):
        list(read_rows(path, contract))
    path.write_bytes(text[:-1])
    with pytest.raises(FileRejected, match=f"line 4, byte {len(TENANCY_ROWS[2]) * 2 + 3}: bytes that are not valid"):
        list(read_rows(path, contract))
