from pathlib import Path

import pytest

from pipelines.contract import ContractError, load_contract, load_contracts


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
        (("{name: day, type: date}", "{name: day, type: date, min: 0}"), "column 'day': 'min' must be a number"),
        (("{name: day, type: date}", "{name: day, type: date, format: x}"), "column 'day': has an unknown key"),
        (("{type: csv}", "{type: csv, delimiter: ';;'}"), "'format.delimiter' must be one character"),
        (("{type: csv}", "{type: csv, encoding: klingon}"), "'format.encoding' 'klingon' is not a known encoding"),
        (("{type: csv}", "{type: csv, date_format: '%d/%m'}"), "'format.date_format' '%d/%m' cannot read back"),
        (("{type: csv}", "{type: sql, table: t}"), "an sql source needs 'format.table', 'format.watermark'"),
    ],
)
def test_contract_errors_name_the_file_and_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    load_contract(_write(tmp_path, GOOD))  # the base is valid
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_unknown_reference_between_contracts_is_named(tmp_path: Path) -> None:
    _write(
        tmp_path,
        GOOD.replace("{name: day, type: date}", "{name: day, role: person_ref, ref_source: nowhere}"),
    )
    with pytest.raises(ContractError, match="refers to unknown source 'nowhere'"):
        load_contracts(tmp_path)
