import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from orchestration.cli import app
from pipelines.contract import load_contracts
from pipelines.pipeline import ensure_raw_tables
from pipelines.writer_lock import lock_for_transaction

runner = CliRunner()


def test_generate_writes_landing_and_ground_truth_beside_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["generate", "--persons", "40", "--seed", "1", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "40 persons" in result.output
    assert list((tmp_path / "landing" / "housing").glob("participants_*.csv"))
    assert (tmp_path / "ground_truth" / "persons.csv").exists()


def test_nothing_runs_without_a_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert "no pseudonymisation key" in result.output and "abord key new" in result.output


def test_a_misset_time_zone_is_named_before_any_command_runs(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_TIMEZONE", "Paris")
    result = runner.invoke(app, ["key", "new"])
    assert result.exit_code == 2 and "ABORD_TIMEZONE: 'Paris' is no IANA time zone" in result.output
    assert not (tmp_path / "abord.key").exists()


def test_a_contract_that_does_not_load_is_named_before_any_load(tmp_path: Path, monkeypatch, warehouse_url) -> None:
    """A variant out of step with its base contract (one widened without the other), or a variant that is not
    there, stops `abord ingest` with the contract's error and exit 2, not a traceback."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("ABORD_CONTRACT_VARIANTS", "xml")
    assert runner.invoke(app, ["key", "new"]).exit_code == 0
    extract = tmp_path / "tenancies_2025-12.csv"
    extract.write_text("id_bail\n")
    result = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(extract)])
    assert result.exit_code == 2 and "ABORD_CONTRACT_VARIANTS: no contract variant 'xml'" in result.output


def test_a_contract_type_change_the_raw_table_cannot_take_stops_that_load_with_exit_2(
    tmp_path: Path, monkeypatch, warehouse_url
) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    assert runner.invoke(app, ["key", "new"]).exit_code == 0
    tenancies = load_contracts()["housing_tenancies"]
    older = replace(
        tenancies, columns=tuple(replace(c, type="text") if c.name == "date_debut" else c for c in tenancies.columns)
    )
    ensure_raw_tables(warehouse_url, {older.name: older})  # start dates loaded as text
    extract = tmp_path / "tenancies_2025-12.csv"
    extract.write_bytes(
        b"id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel\r\nB1;P1;Lyon;03/02/2021;;;400,00\r\n"
    )
    result = runner.invoke(app, ["ingest", "--source", "housing_tenancies", str(extract)])
    assert result.exit_code == 2 and "column 'date_debut' is now date" in result.output


def test_key_new_writes_a_private_key_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["key", "new"]).exit_code == 0
    key_file = tmp_path / "abord.key"
    assert key_file.stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["key", "new"])
    assert again.exit_code == 1 and str(key_file) in again.output
    assert key_file.read_text().strip() not in again.output


def test_db_url_prints_the_configured_warehouse(monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATABASE_URL", "postgresql://steward@warehouse.example:5433/abord")
    result = runner.invoke(app, ["db-url"])
    assert result.exit_code == 0 and result.output.strip() == "postgresql://steward@warehouse.example:5433/abord"


def test_an_analysts_dbt_build_holds_the_writers_lock(warehouse_url: str, tmp_path: Path) -> None:
    """`abord dbt` builds on the warehouse in use, and waits for a load in progress as the scheduled build does
    (so a load also waits for it)."""
    ensure_raw_tables(warehouse_url, load_contracts())
    env = {**os.environ, "ABORD_DATABASE_URL": warehouse_url, "ABORD_DATA_DIR": str(tmp_path)}
    command = [str(Path(sys.executable).parent / "abord"), "dbt", "run", "--select", "stg_finance__funders"]
    built = "select to_regclass('staging.stg_finance__funders') is not null"
    waiting = "select count(*) from pg_stat_activity where wait_event = 'advisory' and datname = current_database()"
    with psycopg.connect(warehouse_url) as load, psycopg.connect(warehouse_url, autocommit=True) as watch:
        lock_for_transaction(load)  # a load mid-transaction
        analyst = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while watch.execute(waiting).fetchone() != (1,):
            assert analyst.poll() is None, analyst.stdout.read().decode()
            assert time.monotonic() < deadline, "dbt neither waited nor finished"
            time.sleep(0.1)
        assert watch.execute(built).fetchone() == (False,)
    output = analyst.communicate(timeout=300)[0].decode()
    assert analyst.returncode == 0, output
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute(built).fetchone() == (True,)
