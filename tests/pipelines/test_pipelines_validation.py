from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.contract import CONTRACTS_DIR, load_contract, load_contracts
from pipelines.readers import FileRejected, RowUnreadable, read_rows
from pipelines.readers.cells import cell_text
from pipelines.validation import RowValidator, validate_row

CONTRACTS = load_contracts()
TENANCIES = CONTRACTS["housing_tenancies"]
HEALTH = CONTRACTS["health_encounters"]
TODAY = date(2026, 1, 15)
HEADER = "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel\r\n"


def _row(**changes: str) -> dict[str, str]:
    row = {
        "id_bail": "B1",
        "id_participant": "P1",
        "site": "Lyon",
        "date_debut": "03/02/2021",
        "date_fin": "",
        "motif_sortie": "",
        "loyer_mensuel": "452,30",
    }
    return {**row, **changes}


def test_a_valid_french_excel_row_is_typed() -> None:
    values, problems = validate_row(_row(), TENANCIES, TODAY)
    assert problems == []
    assert values["date_debut"] == date(2021, 2, 3) and values["loyer_mensuel"] == Decimal("452.30")


@pytest.mark.parametrize(
    ("changes", "column", "code"),
    [
        ({"id_bail": " "}, "id_bail", "missing_value"),
        ({"date_debut": "31/02/2021"}, "date_debut", "invalid_date"),
        ({"date_debut": "2021-02-03"}, "date_debut", "invalid_date"),
        ({"date_debut": "03/02/1890"}, "date_debut", "implausible_date"),
        ({"date_debut": "03/02/2027"}, "date_debut", "implausible_date"),
        ({"motif_sortie": "vacances"}, "motif_sortie", "not_allowed"),
        ({"loyer_mensuel": "4OO,00"}, "loyer_mensuel", "invalid_decimal"),
        ({"date_fin": "01/01/2021"}, "date_fin", "date_order"),
    ],
)
def test_each_problem_names_its_column_and_reason(changes: dict, column: str, code: str) -> None:
    _, problems = validate_row(_row(**changes), TENANCIES, TODAY)
    assert [(p.column, p.code) for p in problems] == [(column, code)]


@pytest.mark.parametrize(
    ("responded", "resolved", "problems"),
    [
        ("", "", []),  # reported, not yet answered
        ("2025-03-02", "", []),  # answered, still open
        ("2025-03-01", "2025-03-01", []),  # answered and resolved the day it was reported
        ("2025-02-28", "", [("date_premiere_reponse", "date_order")]),
        ("2025-03-09", "2025-03-05", [("date_resolution", "date_order")]),
    ],
)
def test_an_incident_is_answered_after_its_report_and_by_its_resolution(
    responded: str, resolved: str, problems: list
) -> None:
    row = {
        "id_incident": "I1",
        "id_bail": "B1",
        "id_bailleur": "BL-LYO-001",
        "type_incident": "impaye",
        "date_signalement": "2025-03-01",
        "date_premiere_reponse": responded,
        "date_resolution": resolved,
    }
    values, found = validate_row(row, CONTRACTS["landlord_incidents"], TODAY)
    assert [(p.column, p.code) for p in found] == problems
    if not problems:
        assert values["date_premiere_reponse"] == (date.fromisoformat(responded) if responded else None)


@pytest.mark.parametrize(
    ("pay", "value", "problems"),
    [
        ("1801.80", Decimal("1801.80"), []),
        ("", None, []),  # some partners do not send the pay
        ("0.00", Decimal("0.00"), []),
        ("-1801.80", None, [("monthly_gross_pay", "out_of_range")]),
        ("18018.00", None, [("monthly_gross_pay", "out_of_range")]),  # an extra digit
        ("1801,80", None, [("monthly_gross_pay", "invalid_decimal")]),  # this partner writes '.'
    ],
)
def test_a_contracts_monthly_pay_is_optional_and_within_a_plausible_range(
    pay: str, value: Decimal | None, problems: list
) -> None:
    row = {
        "contract_id": "CT1",
        "nom": "Martin",
        "prenom": "Léa",
        "date_naissance": "1990-04-02",
        "telephone": "",
        "courriel": "",
        "contract_type": "cdd",
        "start_date": "2025-03-01",
        "end_date": "",
        "hours_per_week": "35",
        "monthly_gross_pay": pay,
    }
    values, found = validate_row(row, CONTRACTS["employment_contracts"], TODAY)
    assert [(p.column, p.code) for p in found] == problems
    if not problems:
        assert values["monthly_gross_pay"] == value


@pytest.mark.parametrize(
    ("rent", "value", "problems"),
    [  # French Excel writes a number formatted with thousands as it shows it
        ("1\u00a0234,50", Decimal("1234.50"), []),  # a no-break space (0xA0 in Windows-1252)
        ("1\u202f234,50", Decimal("1234.50"), []),  # the narrow one, recent Windows' French thousands separator
        ("12 345 678", Decimal("12345678"), []),  # a plain space
        ("1 23,50", None, [("loyer_mensuel", "invalid_decimal")]),  # not groups of three: no number it shows
        ("1 234.50", None, [("loyer_mensuel", "invalid_decimal")]),  # '.' under a ',' contract, as ever
        ("1 234 ,5", None, [("loyer_mensuel", "invalid_decimal")]),
    ],
)
def test_thousands_grouped_by_spaces_read_as_the_number_shown(rent: str, value, problems: list) -> None:
    values, found = validate_row(_row(loyer_mensuel=rent), TENANCIES, TODAY)
    assert [(p.column, p.code) for p in found] == problems
    assert values.get("loyer_mensuel") == value
    contacts = CONTRACTS["housing_support_contacts"]
    row = {"id_contact": "C1", "id_participant": "P1", "date_contact": "03/02/2021", "type_contact": "entretien"}
    assert validate_row({**row, "duree_minutes": "1\u00a0234"}, contacts, TODAY)[0]["duree_minutes"] == 1234


@pytest.mark.parametrize(
    ("column", "number", "decimal_mark", "message"),
    [
        ("duree_minutes", "1 234,00", ",", "'1 234,00' is not a whole number"),
        ("duree_minutes", "12 345 678 901 234 567 890", ",", "'12 345 678 901 234 567 890' is beyond what a whole"),
        ("loyer_mensuel", "1 234,50", ".", "'1 234,50' is not a number with '.' decimals"),
        ("loyer_mensuel", "1" + " 000" * 43691, ",", "'1 000 000 000 000 000 000…(174765 characters)' is beyond"),
    ],
)
def test_a_number_grouped_by_spaces_that_is_no_number_is_quoted_as_written(
    column: str, number: str, decimal_mark: str, message: str
) -> None:
    """The steward looks for the value in the partner's file: it was quoted with its spaces taken out."""
    contract = TENANCIES if column == "loyer_mensuel" else CONTRACTS["housing_support_contacts"]
    contract = replace(contract, format=replace(contract.format, decimal=decimal_mark))
    contact = {"id_contact": "C1", "id_participant": "P1", "date_contact": "03/02/2021", "type_contact": "entretien"}
    row = _row() if column == "loyer_mensuel" else contact
    (problem,) = validate_row({**row, column: number}, contract, TODAY)[1]
    assert (problem.column, problem.message[: len(message)]) == (column, message)


@pytest.mark.parametrize(
    ("start", "value", "problems"),
    [  # Access and database exports write a date with its time; a typed date-time reads as its date elsewhere too
        ("03/02/2021 00:00:00", date(2021, 2, 3), []),
        ("03/02/2021 09:30", date(2021, 2, 3), []),  # any time of day: the day it happened on
        ("03/02/2021T23:59:59.123", date(2021, 2, 3), []),
        ("03/02/2021 foo", None, [("date_debut", "invalid_date")]),  # only a time may follow the date
        ("03/02/2021 25:00:00", None, [("date_debut", "invalid_date")]),
        ("00:00:00", None, [("date_debut", "invalid_date")]),
        ("03/02/2027 00:00:00", None, [("date_debut", "implausible_date")]),
    ],
)
def test_a_date_with_a_time_of_day_reads_as_its_date(start: str, value, problems: list) -> None:
    values, found = validate_row(_row(date_debut=start), TENANCIES, TODAY)
    assert [(p.column, p.code) for p in found] == problems
    assert values.get("date_debut") == value
    row = {"encounter_id": "E1", "family_name": "Petit", "given_name": "Nadia", "birth_date": "12/04/1980 00:00:00",
           "encounter_type": "urgence", "admission_date": "2025-10-01 14:30:00"}  # fmt: skip
    assert validate_row(row, HEALTH, TODAY)[1] == []
    _, found = validate_row({**row, "birth_date": "12/04/1980 foo"}, HEALTH, TODAY)
    assert [(p.column, p.code) for p in found] == [("birth_date", "invalid_date")]


def _file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "tenancies_2025-12.csv"
    path.write_bytes(content)
    return path


def test_latin1_rows_are_read_in_order_with_numbers(tmp_path: Path) -> None:
    body = HEADER + "B1;P1;Saint-Étienne;03/02/2021;;;452,30\r\nB2;P2;Lyon;x\r\n"
    rows = list(read_rows(_file(tmp_path, body.encode("latin-1")), TENANCIES))
    assert rows[0][0] == 1 and rows[0][1]["site"] == "Saint-Étienne"
    assert rows[1][0] == 2 and isinstance(rows[1][1], RowUnreadable)


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        (b"", "empty_file", "empty"),
        (
            HEADER.replace("motif_sortie", "motif").encode(),
            "missing_column",
            "missing column(s) motif_sortie",
        ),
        (HEADER.replace(";", ",").encode(), "wrong_separator", "separated by ',' where the contract says ';'"),
        (
            HEADER.encode() + "B1;P1;Lyon;03/02/2021;;;1\r\n".encode("utf-16"),
            "bad_encoding",
            "not valid latin-1",
        ),
    ],
)
def test_unreadable_files_are_rejected_with_a_clear_message(tmp_path, content, code, message) -> None:
    contract = TENANCIES
    if code == "bad_encoding":
        contract = CONTRACTS["health_encounters"]
        content = b"encounter_id,family_name\n\xff\xfe\x00"
        message = "not valid utf-8"
    with pytest.raises(FileRejected) as error:
        list(read_rows(_file(tmp_path, content), contract))
    assert error.value.code == code and message in str(error.value) and "tenancies_2025-12.csv" in str(error.value)


def test_a_birth_date_is_in_the_future_by_the_programmes_day_not_the_machines() -> None:
    # Near midnight the programme's day (ABORD_TIMEZONE) is a day ahead of the machine's: a birth date on it is
    # plausible; the day before, it was not. Birth dates are cached: the answer follows the day it was asked on.
    today = date.today() + timedelta(days=1)
    row = {"encounter_id": "E1", "family_name": "Petit", "given_name": "Nadia", "birth_date": today.isoformat(),
           "encounter_type": "urgence", "admission_date": "2025-10-01"}  # fmt: skip
    days = (today, today - timedelta(days=1), today)
    problems = [[(p.column, p.code) for p in RowValidator(HEALTH, day)(row)[1]] for day in days]
    assert problems == [[], [("birth_date", "invalid_date")], []]


JSONL_COMMA_CONTRACT = """
name: council_votes
partner: tenants
file_pattern: "tenants/votes_*.jsonl"
period_pattern: "_(\\\\d{4}-\\\\d{2})\\\\.jsonl$"
format: {type: jsonl, decimal: ",", date_format: "%Y-%m-%d"}
columns:
  - {name: id, role: record_id, required: true, unique: true}
  - {name: voters, type: integer, as: voters}
  - {name: share, type: decimal, as: share}
  - {name: adopted, type: text, as: adopted, allowed: ["true", "false"]}
  - {name: note, type: text, as: note}
"""


def _votes(tmp_path: Path):
    (tmp_path / "council_votes.yml").write_text(JSONL_COMMA_CONTRACT)
    return load_contract(tmp_path / "council_votes.yml")


def test_json_numbers_and_booleans_are_typed_by_json_whatever_the_decimal_mark(tmp_path: Path) -> None:
    """`true` read as 'True' (not an allowed value), `3.0` as '3.0' (not a whole number), and under a ',' contract
    a JSON number was taken for one with a '.' thousands separator. They read as a workbook's typed cells do."""
    contract = _votes(tmp_path)
    path = tmp_path / "votes_2025-12.jsonl"
    path.write_text(
        '{"id": "V1", "voters": 3.0, "share": 0.75, "adopted": true, "note": 2.50}\n'
        '{"id": "V2", "voters": 12, "share": 1234.5, "adopted": false, "note": false}\n'
        '{"id": "V3", "voters": 2.5, "share": "0,5", "adopted": "True"}\n'
        '{"id": "V4", "share": 0.123456789012345678901234567890, "adopted": null}\n'
        f'{{"id": "V5", "note": {"9" * 5000}}}\n'  # int() refuses it: the file stopped with a ValueError
        '{"id": "V6", "voters": 1e2, "share": 2.5E-3, "note": 1.20e1}\n'  # '1E+2' was not a whole number
    )
    validate = RowValidator(contract, TODAY)

    results = [validate(row) for _, row in read_rows(path, contract)]

    assert results[0] == (
        {"id": "V1", "voters": 3, "share": Decimal("0.75"), "adopted": "true", "note": "2,50"},
        [],
    )
    assert results[1] == (
        {"id": "V2", "voters": 12, "share": Decimal("1234.5"), "adopted": "false", "note": "false"},
        [],
    )
    values, problems = results[2]
    assert values["share"] == Decimal("0.5")  # text keeps the contract's mark
    assert [(p.column, p.code, p.message) for p in problems] == [
        ("voters", "invalid_integer", "'2,5' is not a whole number"),
        ("adopted", "not_allowed", "'True' is not one of true, false"),
    ]
    assert results[3] == (  # no digit rounded away, as a float would
        {
            "id": "V4",
            "voters": None,
            "share": Decimal("0.123456789012345678901234567890"),
            "adopted": None,
            "note": None,
        },
        [],
    )
    assert results[4] == ({"id": "V5", "voters": None, "share": None, "adopted": None, "note": "9" * 5000}, [])
    assert results[5] == ({"id": "V6", "voters": 100, "share": Decimal("0.0025"), "adopted": None, "note": "12"}, [])


def test_a_number_its_warehouse_column_cannot_hold_is_quarantined_not_loaded(tmp_path: Path) -> None:
    """PostgreSQL's bigint stops at 2**63 - 1 and numeric at 131,072 digits before the point: such a value passed
    validation and its COPY stopped the whole load. JSON's 1e200000 was an infinite float, rejected, before it was
    read as a decimal."""
    contract = _votes(tmp_path)
    path = tmp_path / "votes_2025-12.jsonl"
    path.write_text(
        '{"id": "V1", "voters": 9223372036854775808, "share": 1e200000}\n'
        '{"id": "V2", "voters": -9223372036854775808, "share": 1e-20000}\n'
        '{"id": "V3", "voters": 9223372036854775807, "share": 1e1000}\n'
        '{"id": "V4", "voters": 1e5000}\n'  # 5,001 digits written out: past what int() reads
    )
    validate = RowValidator(contract, TODAY)

    results = [validate(row)[1] for _, row in read_rows(path, contract)]

    assert [[(p.column, p.code) for p in problems] for problems in results] == [
        [("voters", "out_of_range"), ("share", "out_of_range")],
        [("share", "out_of_range")],
        [],
        [("voters", "out_of_range")],
    ]
    assert max(len(p.message) for problems in results for p in problems) < 200  # a reason, not the value's digits


def test_a_database_s_typed_values_read_as_json_s_do(tmp_path: Path) -> None:
    """An sql pull writes its values through cell_text: a numeric 3.00 into an integer column was '3.00'."""
    fmt = _votes(tmp_path).format
    assert [cell_text(v, fmt) for v in (Decimal("3.00"), Decimal("1234.50"), True, 2.5)] == [
        "3",
        "1234,50",
        "true",
        "2,5",
    ]


def test_a_partial_birth_date_is_plausible_in_fhir_only() -> None:
    """FHIR allows "1980" and "1975-06" (test_pipelines_formats loads them); a CSV contract's dates are whole."""
    from pipelines.validation import birth_date
    from pseudonymisation.generalise import birth_year

    assert [birth_date(v, TODAY) for v in ("1980", " 1975-06 ", "2026-01", "1980-04-12")] == [
        "1980",
        "1975-06",
        "2026-01",
        "1980-04-12",
    ]
    assert [birth_date(v, TODAY) for v in ("2026-02", "1899", "1980-13", "198", "1980-4")] == [None] * 5
    assert [birth_year(v) for v in ("1980", "1975-06", "1980-04-12")] == [1980, 1975, 1980]
    participants = CONTRACTS["housing_participants"]
    values = {c.name: "" for c in participants.columns} | {participants.record_id.name: "P1", "date_naissance": "1980"}
    assert ("date_naissance", "invalid_date") in [
        (p.column, p.code) for p in validate_row(values, participants, TODAY)[1]
    ]


def test_a_survey_quarter_not_of_the_form_the_models_read_is_quarantined_at_the_door() -> None:
    """The models take '2025-Q1' apart into a year and a quarter: '2025-T1' (French 'trimestre') loaded, and the
    next refresh stopped on the cast, every indicator with it."""
    contract = load_contract(CONTRACTS_DIR / "tenant_survey.yml")
    validate = RowValidator(contract, TODAY)
    row = {"id_reponse": "R1", "site": "Lyon", "date_reponse": "2025-02-03", "qualite_de_vie": "7"}

    assert validate({**row, "trimestre": "2025-Q1"})[1] == []
    assert [(p.column, p.code) for p in validate({**row, "trimestre": "2025-T1"})[1]] == [
        ("trimestre", "invalid_format")
    ]
    # full-width digits are digits to Python's \d, not to PostgreSQL's cast: the refresh stopped all the same
    assert [(p.column, p.code) for p in validate({**row, "trimestre": "\uff12\uff10\uff12\uff15-Q1"})[1]] == [
        ("trimestre", "invalid_format")
    ]
    assert validate({**row, "trimestre": "2025-Q5"})[1][0].message == (
        "'2025-Q5' does not have the contract's form (\\d{4}-Q[1-4])"
    )
