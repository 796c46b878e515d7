"""Ingestion assets beyond landing files, materialised against a real PostgreSQL: a partner table pulled
incrementally by its watermark, and an HMIS export that arrives as a folder; their rows balance after an erasure."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from dagster import (
    AssetCheckEvaluation,
    AssetCheckSeverity,
    AssetSelection,
    DagsterInstance,
    Definitions,
    build_sensor_context,
    define_asset_job,
    materialize,
)

from orchestration.definitions import landing_sensor, refresh_job
from orchestration.ingestion import extracts_on_time_check, ingestion_asset, rows_balance_check
from orchestration.resources import AbordResource
from pipelines.contract import load_contract, load_contracts
from pipelines.erasure import forget
from pipelines.identity_store import add_opposition, ensure_rights_schema
from pipelines.lateness import lateness
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import sqlalchemy_url
from pseudonymisation.keys import new_key
from tests.conftest import create_database
from tests.orchestration.test_orchestration_definitions import _tick
from tests.pipelines.hmis_exports import hmis_zip
from tests.pipelines.test_pipelines_cli import _as_an_older_abord_left_it

SQL_CONTRACT = """
name: partner_stays
partner: health
description: Hospital stays read from the partner's own database.
file_pattern: "health/stays_*.jsonl"
period_pattern: "_(\\\\d{8}T\\\\d{12})\\\\.jsonl$"
load: append
format: {type: sql, table: care.stays, watermark: updated_at, url_env: ABORD_TEST_STAYS_URL}
columns:
  - {name: stay_id, role: record_id, required: true, unique: true}
  - {name: nom, role: family_name}
  - {name: prenom, role: given_name}
  - {name: naissance, role: birth_date}
  - {name: admitted, type: date, required: true, as: admission_date}
"""


@pytest.fixture
def abord_env(warehouse_url: str, tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    monkeypatch.setenv("ABORD_KEY_FILE", str(tmp_path / "abord.key"))
    monkeypatch.delenv("ABORD_CONTRACT_VARIANTS", raising=False)
    new_key(tmp_path / "abord.key")
    return tmp_path


def _run(contract):
    result = materialize(
        [ingestion_asset(contract), rows_balance_check(contract)], resources={"abord": AbordResource()}
    )
    assert result.success
    (materialization,) = result.asset_materializations_for_node(f"raw__{contract.name}")
    checks = result.get_asset_check_evaluations()
    assert [c.passed for c in checks] == [True]
    return {key: value.value for key, value in materialization.metadata.items()}


def test_an_sql_source_asset_pulls_only_rows_past_the_watermark(
    abord_env: Path, warehouse_url: str, pg_admin_url: str, monkeypatch
) -> None:
    partner_url = create_database(pg_admin_url)
    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute(
            "create schema care; create table care.stays (stay_id integer primary key, nom text, prenom text,"
            " naissance date, admitted date, updated_at timestamp not null)"
        )
        conn.execute(
            "insert into care.stays values (1, 'Dupont', 'Marie', '1980-04-12', '2024-01-03', '2024-01-04 10:00'),"
            " (2, 'Martin', 'Paul', '1975-06-01', '2024-02-01', '2024-02-02 09:30')"
        )
    monkeypatch.setenv("ABORD_TEST_STAYS_URL", sqlalchemy_url(partner_url))
    contract_file = abord_env / "partner_stays.yml"
    contract_file.write_text(SQL_CONTRACT)
    contract = load_contract(contract_file)

    first = _run(contract)
    assert (first["batches_loaded"], first["rows_read"], first["rows_loaded"]) == (1, 2, 2)
    assert _run(contract)["batches_loaded"] == 0  # nothing past the watermark: no batch

    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute("insert into care.stays values (3, 'Petit', 'Jean', '1966-02-14', '2024-03-01', now())")
    third = _run(contract)
    assert (third["batches_loaded"], third["rows_loaded"]) == (1, 1)
    with psycopg.connect(warehouse_url) as conn:
        periods = [p for (p,) in conn.execute("select period from audit.batches order by batch_id").fetchall()]
        assert conn.execute("select count(*) from raw.partner_stays").fetchone() == (3,)
        assert "Dupont" not in str(conn.execute("select * from raw.partner_stays").fetchall())
    assert periods[0] == "20240202T093000000000" and periods[1] > periods[0]  # the watermark, kept in audit


def test_a_pull_s_file_in_landing_starts_no_run(abord_env: Path, pg_admin_url: str, monkeypatch) -> None:
    """The pull writes its rows to landing and loads them in the same run: the landing sensor took that file for a
    partner's, and each pull that found rows started a run more (pulling again, on and on while the table grows)."""
    partner_url = create_database(pg_admin_url)
    with psycopg.connect(partner_url, autocommit=True) as conn:
        conn.execute(
            "create schema care; create table care.stays (stay_id integer primary key, nom text, prenom text,"
            " naissance date, admitted date, updated_at timestamp not null);"
            " insert into care.stays values (1, 'Dupont', 'Marie', '1980-04-12', '2024-01-03', '2024-01-04 10:00')"
        )
    monkeypatch.setenv("ABORD_TEST_STAYS_URL", sqlalchemy_url(partner_url))
    (abord_env / "partner_stays.yml").write_text(SQL_CONTRACT)
    contract = load_contract(abord_env / "partner_stays.yml")
    sensor, instance = landing_sensor(refresh_job, {contract.name: contract}), DagsterInstance.ephemeral()
    cursor = _tick(sensor, instance, None, "no new partner file in landing")
    for refresh in ("the schedule's", "a steward's"):  # each pulling one new row
        if refresh == "a steward's":
            with psycopg.connect(partner_url, autocommit=True) as conn:
                conn.execute("insert into care.stays values (2, 'Martin', 'Paul', '1975-06-01', '2024-02-01', now())")
        assert _run(contract)["rows_loaded"] == 1
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
        assert (
            "claimed by no contract" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message
        )
    assert len(list((abord_env / "landing" / "health").glob("stays_*.jsonl"))) == 2
    with psycopg.connect(os.environ["ABORD_DATABASE_URL"]) as conn:
        assert conn.execute("select count(*) from raw.partner_stays").fetchone() == (2,)


def test_the_rows_balance_still_holds_after_an_erasure(abord_env: Path) -> None:
    """The check is blocking: were a forgotten person's deleted rows counted missing, no run would reach dbt."""
    contracts = load_contracts()
    landing = abord_env / "landing" / "shelter"
    landing.mkdir(parents=True)
    (landing / "nights_2025-12.csv").write_text(
        "id_nuitee;nom;prenom;date_naissance;telephone;date_nuitee;structure;type_place\n"
        "N1;Dupont;Marie;12/04/1980;;01/12/2025;Abri;urgence\n"
        "N2;Dupont;Marie;12/04/1980;;02/12/2025;Abri;urgence\n"
        "N3;Martin;Paul;01/06/1975;;01/12/2025;Abri;urgence\n",
        encoding="utf-8",
    )
    assert _run(contracts["shelter_nights"])["rows_loaded"] == 3
    with psycopg.connect(os.environ["ABORD_DATABASE_URL"]) as conn, conn.cursor() as cur:
        ensure_rights_schema(cur)
        cur.execute(
            "select link_key from identity.link_keys where person_key ="
            " (select person_key from raw.shelter_nights group by 1 order by count(*) desc limit 1)"
        )
        keys = {k for (k,) in cur.fetchall()}
        person_tables = [c.raw_table for c in contracts.values() if c.is_person_level]
        assert forget(cur, keys, person_tables, requested=1).rows_deleted == 2
    assert _run(contracts["shelter_nights"])["batches_loaded"] == 0  # and the check passed (_run)


def test_the_rows_balance_holds_when_a_later_period_outdates_an_earlier_one(abord_env: Path) -> None:
    """A snapshot source's earlier period loses its raw rows when the next one loads: its batch stays loaded (its
    month's file of record), and the blocking check must not count those rows missing, nor after an erasure."""
    tenancies = load_contracts()["housing_tenancies"]
    landing = abord_env / "landing" / "housing"
    landing.mkdir(parents=True)
    header = "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel\r\n"
    for month, ids in (("2025-11", ("B1", "B2")), ("2025-12", ("B1", "B2", "B3"))):
        rows = "".join(f"{i};P{i};Lyon;03/02/2021;;;400,00\r\n" for i in ids)
        (landing / f"tenancies_{month}.csv").write_bytes((header + rows).encode("latin-1"))
        _run(tenancies)
    with psycopg.connect(os.environ["ABORD_DATABASE_URL"]) as conn, conn.cursor() as cur:
        batches = cur.execute("select batch_id, outdated_by from audit.batches order by 1").fetchall()
        assert [b for b, outdated_by in batches if outdated_by] == [batches[0][0]]
        assert cur.execute("select count(*) from raw.housing_tenancies").fetchone() == (3,)
        ensure_rights_schema(cur)
        cur.execute(
            "select link_key from identity.link_keys where person_key ="
            " (select person_key from raw.housing_tenancies order by source_row limit 1)"
        )
        keys = {k for (k,) in cur.fetchall()}
        person_tables = [c.raw_table for c in load_contracts().values() if c.is_person_level]
        assert forget(cur, keys, person_tables, requested=1).rows_deleted == 1
    assert _run(tenancies)["batches_loaded"] == 0  # and the check passed (_run)


def _rows_balance_alone(contract) -> AssetCheckEvaluation:
    """The check run on its own, as the checks tab of the Dagster UI runs it: no load before it."""
    check = rows_balance_check(contract)
    job = define_asset_job("checks_alone", selection=AssetSelection.checks(check))
    defs = Definitions(
        assets=[ingestion_asset(contract)], asset_checks=[check], jobs=[job], resources={"abord": AbordResource()}
    )
    result = defs.resolve_job_def("checks_alone").execute_in_process(raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    return evaluation


def test_the_rows_balance_runs_alone_on_a_ledger_an_older_abord_left(abord_env: Path) -> None:
    """After an upgrade, the check run on its own failed on an SQL error (column b.outdated_by does not exist)
    until a load had brought the ledger up to date; before any load, on the ledger missing."""
    tenancies = load_contracts()["housing_tenancies"]
    empty = _rows_balance_alone(tenancies)
    assert empty.passed and empty.description == "no batch recorded yet"
    landing = abord_env / "landing" / "housing"
    landing.mkdir(parents=True)
    (landing / "tenancies_2025-12.csv").write_bytes(
        b"id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel\r\n"
        b"B1;P1;Lyon;03/02/2021;;;400,00\r\n"
    )
    _run(tenancies)
    _as_an_older_abord_left_it(os.environ["ABORD_DATABASE_URL"])
    assert _rows_balance_alone(tenancies).passed
    with psycopg.connect(os.environ["ABORD_DATABASE_URL"]) as conn:  # the balance itself is still checked
        conn.execute("delete from raw.housing_tenancies")
    unbalanced = _rows_balance_alone(tenancies)
    assert not unbalanced.passed and unbalanced.metadata["unbalanced_batches"].value == 1


def test_the_rows_balance_runs_alone_for_a_source_added_since_the_last_load(abord_env: Path) -> None:
    """A contract an upgrade brings has no raw table until a load makes it: the check run on its own failed on an
    SQL error (relation raw.<source> does not exist) instead of finding nothing loaded."""
    tenancies = load_contracts()["housing_tenancies"]
    _run(tenancies)  # the ledger and the shipped sources' raw tables, from the release before
    added = abord_env / "housing_leases_added.yml"
    added.write_text(tenancies.path.read_text().replace("name: housing_tenancies", "name: housing_leases_added"))
    check = _rows_balance_alone(load_contract(added))
    assert check.passed and check.metadata["unbalanced_batches"].value == 0


def test_an_hmis_export_folder_is_packed_and_ingested(abord_env: Path) -> None:
    folder = abord_env / "landing" / "housing" / "hmis_2025-12"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(io.BytesIO(hmis_zip())) as archive:
        archive.extractall(folder)
    contracts = load_contracts(variants=("hmis",))

    participants = _run(contracts["housing_participants"])
    assert (participants["batches_loaded"], participants["rows_loaded"]) == (1, 2)
    assert (folder.parent / "hmis_2025-12.zip").is_file()
    assert _run(contracts["housing_tenancies"])["rows_loaded"] == 2
    assert _run(contracts["housing_participants"])["batches_loaded"] == 0  # the same folder: already loaded


# The housing operator's extracts the extracts_on_time tests send: each one's file name and header.
HOUSING_FILES = {
    "housing_tenancies": ("tenancies", "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel"),
    "housing_support_contacts": ("support", "id_contact;id_participant;date_contact;duree_minutes;type_contact"),
}


@pytest.fixture
def housing_due(abord_env: Path, monkeypatch) -> SimpleNamespace:
    """The month due today, the month before it, and `receive`, which lands a housing source's file of a month's
    rows, runs its ingestion and its extracts_on_time check, and returns the check."""
    # the programme's day, years from the machine's: a check that read date.today() would find another month due
    monkeypatch.setattr(Settings, "today", lambda self, now=None: date(2031, 3, 20))
    contracts = load_contracts()
    landing = abord_env / "landing" / "housing"
    landing.mkdir(parents=True)
    due_days = contracts["housing_tenancies"].due_days  # the default, as every housing source's
    due = lateness(["2000-01"], "snapshot", get_settings().today(), due_days).due  # due today
    year, month = map(int, due.split("-"))
    before = f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"

    def receive(source: str, period: str, rows: str) -> AssetCheckEvaluation:
        name, header = HOUSING_FILES[source]
        (landing / f"{name}_{period}.csv").write_bytes(f"{header}\r\n{rows}".encode())
        contract = contracts[source]
        result = materialize(
            [ingestion_asset(contract), extracts_on_time_check(contract)], resources={"abord": AbordResource()}
        )
        assert result.success  # a warning never stops the run
        (check,) = result.get_asset_check_evaluations()
        return check

    return SimpleNamespace(due=due, before=before, receive=receive)


def test_a_month_overdue_warns_the_steward_and_the_run_goes_on(housing_due: SimpleNamespace) -> None:
    due, before = housing_due.due, housing_due.before
    check_after_receiving = partial(housing_due.receive, "housing_tenancies")
    late = check_after_receiving(before, "B1;P1;Lyon;03/02/2021;;;400,00\r\n")
    assert not late.passed and late.severity == AssetCheckSeverity.WARN
    assert late.description == f"1 month(s) overdue: {due} (latest loaded {before})"
    assert late.metadata["months_overdue"].value == 1
    rejected = check_after_receiving(due, "")  # a header and no rows: rejected as a whole
    assert rejected.description == f"1 month(s) overdue: {due} (received, rejected) (latest loaded {before})"
    on_time = check_after_receiving(due, "B2;P1;Lyon;03/02/2021;;;400,00\r\n")
    assert on_time.passed and on_time.description == f"on time: latest loaded {due}, latest due {due}"


def test_a_month_whose_every_row_was_quarantined_is_still_overdue(housing_due: SimpleNamespace) -> None:
    """Its events are in quarantine, not in the warehouse, which does not take the month as observed
    (int_sources_observed): the steward is told it is missing, and why. A month whose only rows are those of a
    person who opposed is the partner's whole month: observed, on time."""
    due, before = housing_due.due, housing_due.before
    housing_due.receive("housing_support_contacts", before, "C1;P1;03/02/2021;60;entretien\r\n")
    # an impossible date, a contact of 0 minutes: the month's two rows quarantined, none loaded
    quarantined = housing_due.receive(
        "housing_support_contacts", due, "C2;P1;31/02/2021;60;entretien\r\nC3;P1;03/02/2021;0;entretien\r\n"
    )
    assert not quarantined.passed
    assert quarantined.description == (
        f"1 month(s) overdue: {due} (received, all 2 row(s) quarantined) (latest loaded {before})"
    )

    with psycopg.connect(os.environ["ABORD_DATABASE_URL"]) as conn, conn.cursor() as cur:
        ensure_rights_schema(cur)
        cur.execute(
            "select link_key from identity.link_keys where person_key ="
            " (select person_key from raw.housing_support_contacts limit 1)"
        )
        add_opposition(cur, [k for (k,) in cur.fetchall()])
    opposed = housing_due.receive("housing_support_contacts", due, "C4;P1;03/02/2021;60;entretien\r\n")
    assert opposed.passed and opposed.description == f"on time: latest loaded {due}, latest due {due}"


def test_an_append_sources_first_month_quarantined_whole_is_overdue_after_a_later_month(
    housing_due: SimpleNamespace,
) -> None:
    """The support contacts' first month (every contact before the next) was quarantined whole, the month after it
    loaded: the check said 'on time' from the later month, and the warehouse observed the source from it. The first
    month is overdue, said received, as the warehouse observes none of the source until its retry."""
    due, before = housing_due.due, housing_due.before
    # an impossible date, a contact of 0 minutes: the month's two rows quarantined, none loaded
    housing_due.receive(
        "housing_support_contacts", before, "C2;P1;31/02/2021;60;entretien\r\nC3;P1;03/02/2021;0;entretien\r\n"
    )
    check = housing_due.receive("housing_support_contacts", due, "C4;P1;03/02/2021;60;entretien\r\n")
    assert not check.passed
    assert check.description == (
        f"1 month(s) overdue: {before} (received, all 2 row(s) quarantined) (latest loaded {due})"
    )


def test_a_sources_only_month_quarantined_whole_is_said_received(housing_due: SimpleNamespace) -> None:
    """The source's only file came and every row of it was quarantined: the check said 'no extract loaded yet', as
    if nothing had come, and the steward chased the partner for a month waiting in quarantine. It names the month
    received, and why it is not observed, as for a month overdue."""
    due = housing_due.due
    # an impossible date, a contact of 0 minutes: the month's two rows quarantined, none loaded
    check = housing_due.receive(
        "housing_support_contacts", due, "C2;P1;31/02/2021;60;entretien\r\nC3;P1;03/02/2021;0;entretien\r\n"
    )
    assert not check.passed
    assert check.description == f"no month observed yet: {due} (received, all 2 row(s) quarantined); {due}'s was due"
