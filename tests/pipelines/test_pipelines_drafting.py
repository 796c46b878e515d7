"""`abord contracts draft`: the draft must be a contract ingestion can read the sample with, and no more confident
than the sample allows (one broken value, two date formats, a unique-looking measure)."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from pipelines.contract import Contract, check_contracts, load_contract
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
