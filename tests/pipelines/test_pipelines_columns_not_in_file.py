"""A contract column a partner's file may lack (optional_in_file): such a file loads with the column empty, its batch
says so in its summary and in the ledger; a header holding a name close to it is still refused as a rename."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from openpyxl import Workbook

from pipelines.contract import load_contract
from pipelines.ingest import IngestContext, ingest_file
from pipelines.readers import FileRejected, read_rows
from pipelines.readers.header import check_header

CONTRACT = """
name: stays
partner: health
file_pattern: "health/stays_*.csv"
period_pattern: "_(\\\\d{4}-\\\\d{2})\\\\."
load: append
format: {type: csv}
columns:
  - {name: stay_id, role: record_id, required: true}
  - {name: admission_date, type: date, required: true, as: admission_date}
  - {name: service, as: service, allowed: [general, psychiatrie]}
  - {name: discharge_mode, as: discharge_mode, allowed: [domicile, deces], optional_in_file: true}
"""
WITH = ["stay_id,admission_date,service,discharge_mode", "S1,2025-12-01,general,domicile", "S2,2025-12-03,,deces"]
WITHOUT = ["stay_id,admission_date,service", "S1,2025-12-01,general", "S2,2025-12-03,", "S3,2025-12-09,cardio"]


@pytest.fixture
def contract(tmp_path: Path):
    path = tmp_path / "stays.yml"
    path.write_text(CONTRACT)
    return load_contract(path)


@pytest.fixture
def ctx(contract_context) -> IngestContext:
    return contract_context


def _csv(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("header", "lacking", "refused"),
    [
        (["stay_id", "admission_date", "service", "discharge_mode"], [], None),
        (["stay_id", "admission_date", "service"], ["discharge_mode"], None),
        (["stay_id", "admission_date", "service", "commentaire"], ["discharge_mode"], None),
        # another column of the same thing, close in name (difflib's 0.6), is no rename of the one it lacks
        (["stay_id", "admission_date", "service", "discharge_unit", "discharge_time"], ["discharge_mode"], None),
        # nor one a letter away from it (mode, code): a hospital's discharge code beside a lacking discharge mode
        (["stay_id", "admission_date", "service", "discharge_code"], ["discharge_mode"], None),
        # a column the contract does not say a file may lack, required or not, still refuses it
        (["stay_id", "service"], None, "missing column(s) admission_date in the header"),
        (["stay_id", "admission_date", "discharge_mode"], None, "missing column(s) service in the header"),
        # a name close to it is a probable rename: refused, never loaded empty
        (
            ["stay_id", "admission_date", "service", "Discharge_Mode"],
            None,
            "missing column(s) discharge_mode in the header (renamed: 'Discharge_Mode' instead of 'discharge_mode'?)",
        ),
        (
            ["stay_id", "admission_date", "service", "discharge_unit", "discharge-mode"],
            None,
            "missing column(s) discharge_mode in the header (renamed: 'discharge-mode' instead of 'discharge_mode'?)",
        ),
        (
            ["stay_id", "admission_date", "service", "discharge_modes"],
            None,
            "missing column(s) discharge_mode in the header (renamed: 'discharge_modes' instead of 'discharge_mode'?)",
        ),
    ],
)
def test_the_header_check_lets_a_file_lack_only_what_its_contract_says_it_may(
    contract, header: list[str], lacking: list[str] | None, refused: str | None
) -> None:
    named: list[str] = []
    if refused is None:
        assert check_header(Path("stays_2025-12.csv"), contract, header, named) == header
        assert named == lacking
        return
    with pytest.raises(FileRejected) as error:
        check_header(Path("stays_2025-12.csv"), contract, header, named)
    assert error.value.code == "missing_column" and str(error.value) == f"stays_2025-12.csv: {refused}"
    assert named == []


def _workbook(path: Path, lines: list[str]) -> Path:
    book = Workbook()
    for line in lines:
        book.active.append(line.split(","))
    book.save(path)
    return path


def _jsonl(path: Path, lines: list[str]) -> Path:
    header, *rows = (line.split(",") for line in lines)
    path.write_text("".join(json.dumps(dict(zip(header, row, strict=True))) + "\n" for row in rows))
    return path


@pytest.mark.parametrize(("fmt", "write"), [("csv", _csv), ("xlsx", _workbook), ("jsonl", _jsonl)])
def test_each_format_that_names_its_columns_reads_a_file_lacking_one(contract, tmp_path: Path, fmt, write) -> None:
    contract = replace(contract, format=replace(contract.format, type=fmt))
    lacking: list[str] = []
    rows = [row for _, row in read_rows(write(tmp_path / f"stays_2025-12.{fmt}", WITHOUT), contract, lacking)]
    assert [(row["stay_id"], row.get("discharge_mode")) for row in rows] == [("S1", None), ("S2", None), ("S3", None)]
    assert lacking == ["discharge_mode"]
    lacking.clear()
    assert len(list(read_rows(write(tmp_path / f"again_2025-12.{fmt}", WITH), contract, lacking))) == 2
    assert lacking == []


@pytest.mark.parametrize(("fmt", "write"), [("csv", _csv), ("xlsx", _workbook), ("jsonl", _jsonl)])
@pytest.mark.parametrize("blank", [1, 3])
def test_a_blank_header_cell_is_no_rename_of_a_one_letter_column_the_file_may_lack(
    contract, tmp_path: Path, fmt, write, blank: int
) -> None:
    """A nameless column (an Excel header's empty cells; a key "") was taken for the name of a one-letter column the
    file may lack with its letter dropped: the file was refused as missing it. It is read as when no column is
    lacking: the nameless column is no contract column, and the one-letter column loads empty."""
    columns = tuple(replace(c, name="m") if c.optional_in_file else c for c in contract.columns)
    contract = replace(contract, format=replace(contract.format, type=fmt), columns=columns)
    lines = [",".join([*line.split(",")[:blank], "", *line.split(",")[blank:]]) for line in WITHOUT]
    lacking: list[str] = []
    rows = [row for _, row in read_rows(write(tmp_path / f"stays_2025-12.{fmt}", lines), contract, lacking)]
    assert [(row["stay_id"], row["service"] or None, row.get("m")) for row in rows] == [
        ("S1", "general", None),
        ("S2", None, None),
        ("S3", "cardio", None),
    ]
    assert lacking == ["m"]


def test_a_json_line_holding_the_key_is_enough(contract, tmp_path: Path) -> None:
    """In JSON lines a key in no line is the header's missing column: one line holding it, the file has it."""
    contract = replace(contract, format=replace(contract.format, type="jsonl"))
    lines = ['{"stay_id": "S1", "admission_date": "2025-12-01"}', '{"stay_id": "S2", "admission_date": "2025-12-02",'
             ' "discharge_mode": "deces"}']  # fmt: skip
    path = tmp_path / "stays_2025-12.jsonl"
    path.write_text("\n".join(lines) + "\n")
    lacking: list[str] = []
    assert [row["discharge_mode"] for _, row in read_rows(path, contract, lacking)] == [None, "deces"]
    assert lacking == []
    path.write_text(lines[1].replace("discharge_mode", "discharge_modes") + "\n")
    with pytest.raises(FileRejected, match=r"key\(s\) discharge_mode in no line \(renamed: 'discharge_modes' instead"):
        list(read_rows(path, contract, lacking))
    assert lacking == []
    path.write_text(lines[1].replace("discharge_mode", "discharge_unit") + "\n")  # another field, not a rename
    assert [row["discharge_mode"] for _, row in read_rows(path, contract, lacking)] == [None]
    assert lacking == ["discharge_mode"]


def _batch(ctx: IngestContext, batch_id: int) -> tuple:
    with psycopg.connect(ctx.url) as conn:
        return conn.execute(
            "select status, rows_read, rows_loaded, rows_quarantined, not_in_file from audit.batches"
            " where batch_id = %s",
            (batch_id,),
        ).fetchone()


def _raw(ctx: IngestContext) -> list[tuple]:
    with psycopg.connect(ctx.url) as conn:
        return conn.execute("select source_row, service, discharge_mode from raw.stays order by source_row").fetchall()


def test_a_file_lacking_the_column_loads_it_empty_and_its_batch_says_so(ctx: IngestContext, contract, tmp_path) -> None:
    summary = ingest_file(ctx, contract, _csv(tmp_path / "landing" / "stays_2025-12.csv", WITHOUT))
    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rows_quarantined) == ("loaded", 3, 2, 1)
    assert summary.not_in_file == ("discharge_mode",)
    assert summary.line().endswith("quarantined     1  discharge_mode not in the file: loaded empty")
    assert _batch(ctx, summary.batch_id) == ("loaded", 3, 2, 1, ["discharge_mode"])
    assert _raw(ctx) == [(1, "general", None), (2, None, None)]  # row 3's service is not allowed
    quarantined = ctx.quarantine_dir / "stays" / "stays_2025-12.csv.rejected.csv"
    assert quarantined.read_text().splitlines()[0].endswith(",stay_id,admission_date,service,discharge_mode")


def test_a_month_sent_again_without_the_column_empties_it_and_says_so(ctx: IngestContext, contract, tmp_path) -> None:
    first = ingest_file(ctx, contract, _csv(tmp_path / "landing" / "stays_2025-12.csv", WITH))
    assert first.not_in_file == () and "not in the file" not in first.line()
    assert _batch(ctx, first.batch_id)[-1] == []
    assert _raw(ctx) == [(1, "general", "domicile"), (2, None, "deces")]
    again = ingest_file(ctx, contract, _csv(tmp_path / "landing" / "again" / "stays_2025-12.csv", WITHOUT[:3]))
    assert again.status == "loaded" and again.replaced == (first.batch_id,)
    assert again.line().endswith(
        f"replaces batch {first.batch_id}  discharge_mode not in the file: loaded empty, in place of batch"
        f" {first.batch_id}'s"
    )
    assert _raw(ctx) == [(1, "general", None), (2, None, None)]
    assert _batch(ctx, again.batch_id)[-1] == ["discharge_mode"]


def test_a_renamed_column_is_refused_not_loaded_empty(ctx: IngestContext, contract, tmp_path) -> None:
    renamed = [WITH[0].replace("discharge_mode", "discharge_mod"), *WITH[1:]]
    summary = ingest_file(ctx, contract, _csv(tmp_path / "landing" / "stays_2025-12.csv", renamed))
    assert summary.status == "rejected" and "(renamed: 'discharge_mod' instead of 'discharge_mode'?)" in summary.message
    assert _batch(ctx, summary.batch_id) == ("rejected", 0, 0, 0, [])
    assert _raw(ctx) == []
