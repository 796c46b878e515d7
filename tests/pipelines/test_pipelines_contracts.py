import dataclasses
import hashlib
from pathlib import Path

import pytest

from pipelines.contract import CONTRACTS_DIR, Contract, ContractError, check_contracts, load_contract, load_contracts
from pipelines.ledger import contract_fingerprint


def fingerprint_before_optional_in_file(contract: Contract) -> str:
    """The contract_sha256 abord recorded before Column had optional_in_file: the sha256 of the contract's repr."""
    written = repr(dataclasses.replace(contract, path=None))
    assert ", optional_in_file=False" in written and "optional_in_file=True" not in written
    return hashlib.sha256(written.replace(", optional_in_file=False", "").encode()).hexdigest()


def test_shipped_contracts_load_and_reference_each_other() -> None:
    contracts = load_contracts()
    assert set(contracts) >= {
        "housing_participants",
        "housing_tenancies",
        "health_encounters",
        "employment_contracts",
        "justice_events",
    }
    tenancies = contracts["housing_tenancies"]
    assert tenancies.column("id_participant").ref_source == "housing_participants"
    assert tenancies.period_of("tenancies_2025-12.csv") == "2025-12"
    # identifiers are consumed by pseudonymisation, never stored
    stored = {c.name for c in contracts["housing_participants"].stored_columns}
    assert stored == {"site", "date_orientation", "date_entree", "notes"}
    # a clause's own id (no person's) is kept beside its keyed reference: published clauses are told apart by it
    assert contracts["finance_pfp_clauses"].column("id_clause").target == "clause_id"
    assert "clause_id" in {c.target for c in contracts["finance_pfp_clauses"].stored_columns}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yml"
    path.write_text(text)
    return path


GOOD = """
name: demo_source
partner: demo
file_pattern: "demo/*.csv"
period_pattern: "_(\\\\d{4}-\\\\d{2})"
format: {type: csv}
columns:
  - {name: id, role: record_id}
  - {name: day, type: date}
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("name: demo_source", "name: Demo Source"), "'name' must be a lower-case SQL name"),
        (("partner: demo\n", ""), "missing required key 'partner'"),
        (("{type: csv}", "{type: parquet}"), "'format.type' must be one of"),
        (("{type: csv}", "{type: csv, sep: ';'}"), "'format' has an unknown key 'sep'"),
        (("role: record_id", "role: identifier"), "column 'id': unknown role 'identifier'"),
        (("type: date", "type: datetime"), "column 'day': unknown type 'datetime'"),
        (("role: record_id", "role: attribute"), "exactly one column with role record_id"),
        (('"_(\\\\d{4}-\\\\d{2})"', '"\\\\d{4}"'), "'period_pattern' must have exactly one group"),
        (("columns:", "rules: [{column: day, not_before: nowhere}]\ncolumns:"), "unknown column 'nowhere'"),
        (("{name: day, type: date}", "{name: day, role: person_ref}"), "needs 'ref_source'"),
        (("partner: demo", "partner: demo\nowner: x"), "has an unknown key 'owner'"),
        (("partner: demo", "partner: demo\nload: monthly"), "'load' must be one of append, snapshot"),
        (("partner: demo", "partner: demo\ndue_days: '20'"), "'due_days' must be the days (0 to 366)"),
        (("partner: demo", "partner: demo\ndue_days: -1"), "'due_days' must be the days (0 to 366)"),
        (("{name: day, type: date}", "{name: day, type: date, min: 0}"), "column 'day': 'min' must be a number"),
        (("{name: day, type: date}", "{name: day, type: date, format: x}"), "column 'day': has an unknown key"),
        (("{type: csv}", "{type: csv, delimiter: ';;'}"), "'format.delimiter' must be one character"),
        (("{type: csv}", "{type: csv, encoding: klingon}"), "'format.encoding' 'klingon' is not a known encoding"),
        (("{type: csv}", "{type: csv, date_format: '%d/%m'}"), "'format.date_format' '%d/%m' cannot read back"),
        (("{type: csv}", "{type: sql, table: t}"), "an sql source needs 'format.table', 'format.watermark'"),
        # two columns stored under one raw name: every ingest's CREATE TABLE would fail (DuplicateColumn)
        (
            ("{name: day, type: date}", "{name: day, type: date}\n  - {name: debut, type: date, as: day}"),
            "columns 'day' and 'debut' are both stored as 'day' (key 'as')",
        ),
        (
            ("{name: day, type: date}", "{name: day, type: date, as: moment}\n  - {name: fin, type: date, as: moment}"),
            "columns 'day' and 'fin' are both stored as 'moment' (key 'as')",
        ),
        (
            ("{name: day, type: date}", "{name: day, type: date, as: person_key}"),
            "column 'day': 'as' person_key is a column of the raw table itself",
        ),
        (("{name: day, type: date}", "{name: day, type: date, as: order}"), "column 'day': 'as' order is a reserved"),
        # a record id is stored as-is only where it cannot tell who a row is about
        (
            ("role: record_id}", "role: record_id, as: id}\n  - {name: nom, role: family_name}"),
            "column 'id': a record id is stored ('as') only in a source with no persons",
        ),
        (("role: record_id}", "role: record_id, as: record_ref}"), "column 'id': 'as' record_ref is a column"),
        (
            ("{name: day, type: date}", "{name: batch_id, type: date}"),
            "column 'batch_id': 'as' batch_id is a column of the raw table itself",
        ),
        # a rule compares two dates: anything else crashes ingestion (Decimal < str) or compares nonsense
        (
            ("columns:", "rules: [{column: id, not_before: day}]\ncolumns:"),
            "'rules': 'id' is not a date column",
        ),
        (
            ("columns:", "rules: [{column: day}]\ncolumns:"),
            "rule: missing required key 'not_before'",
        ),
        (("columns:", "rules: {column: day}\ncolumns:"), "'rules' must be a list"),
        # allowed: a list of values, not a string read letter by letter
        (("role: record_id}", "role: record_id, allowed: abc}"), "column 'id': 'allowed' must be a list"),
        (("role: record_id}", "role: record_id, allowed: []}"), "column 'id': 'allowed' must be a list"),
        (("role: record_id}", "role: record_id, allowed: [yes, no]}"), "column 'id': 'allowed' holds true"),
        (("role: record_id}", "role: record_id, codes: {a: [b]}}"), "column 'id': 'codes' must map"),
        (("role: record_id}", "role: record_id, codes: {yes: a}}"), "column 'id': 'codes' must map"),
        # bounds: numbers, in order, on numbers only
        (
            ("{name: day, type: date}", "{name: n, type: integer, min: 100, max: 10}"),
            "column 'n': 'min' 100 is above 'max' 10",
        ),
        (("{name: day, type: date}", "{name: n, type: text, max: 10}"), "column 'n': 'max' must be a number"),
        (("{name: day, type: date}", "{name: n, type: decimal, max: '10'}"), "column 'n': 'max' must be a number"),
        # a pattern: a regular expression, on a text column
        (("{name: day, type: date}", "{name: q, pattern: '[0-9'}"), "column 'q': 'pattern' is not a regular"),
        (("{name: day, type: date}", "{name: q, type: integer, pattern: '[0-9]+'}"), "column 'q': 'pattern' is for"),
        (("{name: day, type: date}", "{name: q, pattern: 12}"), "column 'q': 'pattern' must be a regular"),
        # booleans are YAML booleans: "false" (a string) must not read as true
        (("{name: day, type: date}", '{name: day, type: date, required: "false"}'), "column 'day': 'required' must"),
        (("{name: day, type: date}", "{name: day, type: date, unique: yes please}"), "column 'day': 'unique' must"),
        (("{name: day, type: date}", "{name: day, type: date, absent: 1}"), "column 'day': 'absent' must"),
        # a column a partner's file may lack: empty then, so never one a row needs, nor one that tells who it is
        (("{name: day, type: date}", "{name: day, type: date, optional_in_file: 1}"), "'optional_in_file' must be"),
        (
            ("{name: day, type: date}", "{name: day, type: date, required: true, optional_in_file: true}"),
            "column 'day': an 'optional_in_file' column must be an optional attribute or free text",
        ),
        (
            ("role: record_id}", "role: record_id, optional_in_file: true}"),
            "column 'id': an 'optional_in_file' column must be an optional attribute or free text",
        ),
        (
            ("{name: day, type: date}", "{name: day, role: person_ref, ref_source: x, optional_in_file: true}"),
            "column 'day': an 'optional_in_file' column must be an optional attribute or free text",
        ),
        (
            ("{name: day, type: date}", "{name: day, role: nir, optional_in_file: true}"),
            "column 'day': an 'optional_in_file' column must be an optional attribute or free text",
        ),
        (
            ("{name: day, type: date}", "{name: day, type: date, absent: true, optional_in_file: true}"),
            "column 'day': an 'absent' column is in no file already: remove 'optional_in_file'",
        ),
        # other keys of the wrong type must be named, not crash the check with a TypeError
        (("role: record_id", "role: [record_id]"), "column 'id': unknown role"),
        (("type: date", "type: {a: 1}"), "column 'day': unknown type"),
        (("{name: day, type: date}", "{name: day, type: date, as: [x]}"), "column 'day': 'as' must be"),
        (("{name: day, type: date}", "{name: day, role: person_ref, ref_source: [x]}"), "'ref_source' must be"),
        (("{name: day, type: date}", "{name: day, type: date, ref_source: x}"), "only a person_ref column"),
        (("partner: demo", "partner: demo\nload: [append]"), "'load' must be one of"),
        (("{type: csv}", "{type: [csv]}"), "'format.type' must be one of"),
        (("{type: csv}", "{type: csv, delimiter: }"), "'format.delimiter' must be a string"),
        (("partner: demo", "partner: [demo]"), "'partner' must be a string"),
        (('file_pattern: "demo/*.csv"', "file_pattern: [demo]"), "'file_pattern' must be a string"),
        # format keys that the format's type does not read
        (("{type: csv}", "{type: csv, sheet: Feuil1}"), "'format.sheet' does not apply to a csv source"),
        (("{type: csv}", "{type: xlsx, delimiter: ';'}"), "'format.delimiter' does not apply to a xlsx source"),
        (("{type: csv}", "{type: csv, resource: Client}"), "'format.resource' does not apply to a csv source"),
        (("{type: csv}", "{type: jsonl, encoding: latin-1}"), "'format.encoding' does not apply to a jsonl source"),
        (("{type: csv}", "{type: csv, table: t}"), "'format.table' does not apply to a csv source"),
        (("{name: day, type: date}", "{name: id, type: date}"), "'columns' has the name 'id' twice"),
        # YAML keeps the last of a key written twice: the first would be quietly ignored
        (("partner: demo", "partner: demo\nload: snapshot\nload: append"), "line 5: key 'load' written twice"),
        (("{name: day, type: date}", "{name: day, type: date, type: text}"), "line 9: key 'type' written twice"),
    ],
)
def test_contract_errors_name_the_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    load_contract(_write(tmp_path, GOOD))  # the base is valid
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert str(path) in str(error.value) and message in str(error.value)


@pytest.mark.parametrize(
    ("fmt", "lacks"),
    [
        ("{type: csv}", True),
        ("{type: xlsx}", True),
        ("{type: jsonl}", True),
        ("{type: fhir}", False),
        ("{type: sql, table: t, watermark: day, url_env: PARTNER_URL}", True),
    ],
)
def test_only_a_source_that_names_its_columns_may_lack_one(tmp_path: Path, fmt: str, lacks: bool) -> None:
    """An HMIS export holds its version's whole column set, a FHIR path reads empty when a resource lacks it: neither
    is a file lacking a column of its contract. An sql table names its columns, as a header does."""
    text = GOOD.replace("{type: csv}", fmt).replace(
        "{name: day, type: date}", "{name: day, type: date}\n  - {name: mode, optional_in_file: true}"
    )
    path = _write(tmp_path, text)
    if lacks:
        assert load_contract(path).column("mode").optional_in_file
        return
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert str(error.value).startswith(f"{path}: column(s) mode: 'optional_in_file' is for a source that names its")


def test_a_contract_not_saved_as_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_bytes(GOOD.replace("partner: demo", "partner: demo\ndescription: Données").encode("cp1252"))
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert f"{path}: line 4: not UTF-8 text" in str(error.value)


def test_unknown_reference_between_contracts_is_named(tmp_path: Path) -> None:
    _write(
        tmp_path,
        GOOD.replace("{name: day, type: date}", "{name: day, role: person_ref, ref_source: nowhere}"),
    )
    with pytest.raises(ContractError, match="refers to unknown source 'nowhere'"):
        load_contracts(tmp_path)


def test_a_bad_cross_reference_leaves_the_other_contracts_ok(tmp_path: Path) -> None:
    good = GOOD.replace("{name: day, type: date}", "{name: day, type: date}\n  - {name: n, type: integer}")
    (tmp_path / "a_good.yml").write_text(good.replace("demo_source", "first"))
    (tmp_path / "b_bad.yml").write_text(
        GOOD.replace("demo_source", "second").replace(
            "{name: day, type: date}", "{name: day, role: person_ref, ref_source: nowhere}"
        )
    )
    (tmp_path / "c_good.yml").write_text(good.replace("demo_source", "third"))
    (tmp_path / "d_twice.yml").write_text(good.replace("demo_source", "third"))
    # a contract that does not load is its own error, not that of those that refer to it
    (tmp_path / "e_broken.yml").write_text(GOOD.replace("demo_source", "broken").replace("{type: csv}", "{}"))
    (tmp_path / "f_refers.yml").write_text(
        GOOD.replace("demo_source", "refers").replace(
            "{name: day, type: date}", "{name: day, role: person_ref, ref_source: broken}"
        )
    )
    contracts, errors = check_contracts(tmp_path)
    assert sorted(contracts) == ["first", "refers", "third"]
    assert contracts["third"].path == tmp_path / "c_good.yml"
    assert errors == [
        f"{tmp_path / 'e_broken.yml'}: 'format.type' must be one of csv, fhir, hmis, jsonl, sql, xlsx",
        f"{tmp_path / 'b_bad.yml'}: column 'day' refers to unknown source 'nowhere'",
        f"{tmp_path / 'd_twice.yml'}: 'name' 'third' is already used by {tmp_path / 'c_good.yml'}",
    ]


def test_shipped_contracts_have_no_errors() -> None:
    contracts, errors = check_contracts()
    assert errors == []
    assert set(contracts) == set(load_contracts())


def test_contracts_check_reports_each_valid_contract_beside_a_bad_reference(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from orchestration.cli import app

    (tmp_path / "a.yml").write_text(GOOD.replace("demo_source", "first"))
    (tmp_path / "b.yml").write_text(
        GOOD.replace("demo_source", "second").replace(
            "{name: day, type: date}", "{name: day, role: person_ref, ref_source: nowhere}"
        )
    )
    result = CliRunner().invoke(app, ["contracts", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert f"ok     first                    {tmp_path / 'a.yml'}" in result.output
    assert f"error  {tmp_path / 'b.yml'}: column 'day' refers to unknown source 'nowhere'" in result.output
    assert not [line for line in result.output.splitlines() if line.startswith("ok") and "second" in line]


def test_a_variant_whose_base_does_not_load_says_so(tmp_path: Path) -> None:
    (tmp_path / "demo.yml").write_text(GOOD.replace("{type: csv}", "{type: csv, sheet: x}"))
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "demo.yml").write_text(GOOD.replace("{type: csv}", "{type: jsonl}"))
    _, errors = check_contracts(tmp_path)
    stand_in, base = tmp_path / "other" / "demo.yml", tmp_path / "demo.yml"
    assert errors[1] == f"{stand_in}: stands in for {base}, which does not load: fix it first"


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(CONTRACTS_DIR.rglob("*.yml")) if "optional_in_file" not in p.read_text()],
    ids=lambda p: str(p.relative_to(CONTRACTS_DIR)),
)
def test_a_contract_key_added_since_changes_no_fingerprint_of_a_contract_leaving_it_out(path: Path) -> None:
    """Column's new field changed every contract's fingerprint: after the upgrade, every file rejected under an
    unchanged contract was read, rejected and recorded again."""
    contract = load_contract(path)
    assert contract_fingerprint(contract) == fingerprint_before_optional_in_file(contract)


def test_a_contract_setting_optional_in_file_has_a_fingerprint_of_its_own() -> None:
    """The hospital's contract that now lets its export lack discharge_mode reads its refused files again."""
    health = load_contracts()["health_encounters"]
    assert health.column("discharge_mode").optional_in_file
    columns = tuple(dataclasses.replace(c, optional_in_file=False) for c in health.columns)
    before = dataclasses.replace(health, columns=columns)
    assert contract_fingerprint(health) != contract_fingerprint(before)
    assert contract_fingerprint(before) == fingerprint_before_optional_in_file(before)


def test_due_days_may_be_null_and_never_changes_the_contract_s_fingerprint(tmp_path: Path) -> None:
    base = load_contract(_write(tmp_path, GOOD))
    unexpected = load_contract(_write(tmp_path, GOOD.replace("partner: demo", "partner: demo\ndue_days: null")))
    assert base.due_days == 30 and unexpected.due_days is None
    # rejected files are read again when their contract's fingerprint changes: a due date is not how to read them
    assert contract_fingerprint(unexpected) == contract_fingerprint(base)
