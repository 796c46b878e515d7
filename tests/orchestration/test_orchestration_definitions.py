"""The Dagster definitions: every contract is an asset, dbt lineage starts at it, schedule and sensor exist."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRunStatus,
    DefaultScheduleStatus,
    RunRequest,
    RunsFilter,
    SkipReason,
    build_sensor_context,
    materialize,
)
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.workspace.load_target import EmptyWorkspaceTarget
from dagster._daemon import execute_run_monitoring_iteration

from orchestration import ingestion, sensor_state
from orchestration.dbt import DBT_PROJECT_DIR, abord_dbt_models, dbt_resource
from orchestration.definitions import CONTRACTS, defs, landing_sensor, refresh_job
from orchestration.ingestion import ingestion_asset
from orchestration.instance import use_instance
from orchestration.resources import AbordResource
from pipelines.arrival import GONE
from pipelines.contract import load_contract, load_contracts
from pipelines.ingest import BatchSummary, find_extracts
from pipelines.readers.hmis_export import pack_folders
from pipelines.settings import get_settings
from tests.pipelines.test_pipelines_formats import FHIR_CONTRACT


def test_each_source_feeds_its_staging_model() -> None:
    graph = defs.resolve_asset_graph()
    for name in CONTRACTS:
        key = AssetKey(["raw", name])
        assert graph.has(key)
        children = {child.to_user_string() for child in graph.get(key).child_keys}
        assert any(child.startswith("staging/stg_") for child in children), f"{name} feeds no staging model"
    # lineage runs from the partner file to what dashboards read
    ancestors = graph.get_ancestor_asset_keys(AssetKey(["published", "indicator_values"]))
    assert {AssetKey(["raw", "housing_tenancies"]), AssetKey(["raw", "housing_participants"])} <= ancestors


def test_monthly_schedule_and_landing_sensor_target_the_refresh() -> None:
    schedule = defs.resolve_schedule_def("monthly_refresh")
    assert schedule.job_name == "refresh" and schedule.cron_schedule == "0 6 5 * *"
    # the programme's clock, not Dagster's UTC default: 06:00 in Paris, as the overdue check's day
    assert schedule.execution_timezone == defs.resolve_schedule_def("daily_extract_watch").execution_timezone
    assert schedule.execution_timezone == "Europe/Paris"
    assert defs.resolve_sensor_def("landing_files").job_name == "refresh"


def test_the_daily_watch_checks_every_source_on_time_and_loads_nothing(warehouse_url: str, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)  # a new deployment: nothing loaded, no ledger yet
    watch = defs.resolve_schedule_def("daily_extract_watch")
    assert watch.job_name == "watch_extracts" and watch.default_status == DefaultScheduleStatus.RUNNING
    result = defs.resolve_job_def("watch_extracts").execute_in_process()
    assert result.success and not result.get_asset_materialization_events()
    checks = result.get_asset_check_evaluations()
    assert sorted(c.asset_key.path[-1] for c in checks) == sorted(CONTRACTS)
    assert {c.check_name for c in checks} == {"extracts_on_time"}
    assert all(not c.passed and c.description.startswith("no extract loaded yet") for c in checks)


def test_sensor_requests_a_run_for_new_files_only(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, CONTRACTS)
    instance = DagsterInstance.ephemeral()

    assert not isinstance(sensor(build_sensor_context(instance=instance)), RunRequest)

    extract = tmp_path / "landing" / "housing" / "tenancies_2026-01.csv"
    extract.parent.mkdir(parents=True)
    extract.write_text("id_bail;id_participant\n")
    cursor = _tick(sensor, instance, None, "waiting a tick for 1 file(s)")
    cursor = _tick(sensor, instance, cursor, RunRequest)
    cursor = _tick(sensor, instance, cursor, "no new partner file")

    extract.write_text("id_bail;id_participant\nB1;P1\n")
    os.utime(extract, ns=(1, 2))
    cursor = _tick(sensor, instance, cursor, "housing/tenancies_2026-01.csv")
    _tick(sensor, instance, cursor, RunRequest)


def _tick(sensor, instance, cursor: str | None, expected) -> str:
    """One evaluation of the sensor: a RunRequest, or a SkipReason saying `expected`; returns the new cursor."""
    context = build_sensor_context(instance=instance, cursor=cursor)
    result = sensor(context)
    if expected is RunRequest:
        assert isinstance(result, RunRequest)
    else:
        assert isinstance(result, SkipReason) and expected in result.skip_message, result
    return context.cursor


def test_sensor_waits_for_a_file_still_being_copied_to_stand_still(tmp_path: Path, monkeypatch) -> None:
    """An upload writing under the final name: the run would read half of it."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, CONTRACTS)
    instance = DagsterInstance.ephemeral()
    loaded = tmp_path / "landing" / "housing" / "tenancies_2025-12.csv"
    loaded.parent.mkdir(parents=True)
    loaded.write_text("id_bail;id_participant\nB1;P1\n")
    cursor = _tick(sensor, instance, _tick(sensor, instance, None, "to stand still"), RunRequest)
    copying = loaded.with_name("participants_2026-01.csv")
    for part in ("id_participant;nom\n", "P1;Martin\n"):
        with copying.open("a") as handle:
            handle.write(part)
        cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/participants")
    with copying.open("a") as handle:
        handle.write("P3;Petit\n")
    loaded.touch()  # re-sent meanwhile: no run starts while any file still changes, the run would read it
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 2 file(s)")
    _tick(sensor, instance, cursor, RunRequest)


def test_a_file_that_never_stops_changing_holds_back_its_own_source_only(tmp_path: Path, monkeypatch) -> None:
    """A stuck upload, a partner writing to its file for ever: every source waited for it. Now its source is left
    out of the run (its other files with it), the others' new files are loaded, and the wait names the file and
    for how long; once it stands still its source gets its run."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor, instance = landing_sensor(refresh_job, CONTRACTS), DagsterInstance.ephemeral()
    housing = tmp_path / "landing" / "housing"
    housing.mkdir(parents=True)
    stuck = housing / "tenancies_2026-01.csv"
    (housing / "tenancies_2025-12.csv").write_text("id_bail;id_participant\nB1;P1\n")

    def still_writing(rows: int) -> None:
        stuck.write_text("id_bail;id_participant\n" + "B1;P1\n" * rows)
        os.utime(stuck, ns=(rows, rows))

    started = time.time()
    still_writing(1)
    cursor = _tick(sensor, instance, None, "waiting a tick for 2 file(s)")
    (housing / "participants_2026-01.csv").write_text("id_participant;nom\nP1;Martin\n")
    still_writing(2)
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 2 file(s)")
    still_writing(3)
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    request = sensor(context)
    assert isinstance(request, RunRequest) and request.tags["abord/left_out"] == "housing_tenancies"
    run = defs.resolve_job_def("refresh").get_subset(asset_selection=set(request.asset_selection))
    selected = {key.to_user_string() for key in run.asset_layer.selected_asset_keys}
    assert {"raw/housing_participants", "marts/fct_housing_retention"} <= selected
    assert "raw/housing_tenancies" not in selected
    checks = {key.asset_key.to_user_string() for key in run.asset_layer.asset_graph.asset_check_keys}
    assert "raw/housing_participants" in checks and "raw/housing_tenancies" not in checks
    cursor = context.cursor
    with monkeypatch.context() as later:
        later.setattr(time, "time", lambda: started + 3600 + 25 * 60 + 30)
        still_writing(4)
        cursor = _tick(
            sensor,
            instance,
            cursor,
            "(an upload may still be writing them): housing/tenancies_2026-01.csv; still changing:"
            " housing/tenancies_2026-01.csv for 1 h 25 min (since ",
        )
        context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        request = sensor(context)  # stood still: its run reads both its files, every source in it
    assert isinstance(request, RunRequest) and request.asset_selection is None
    assert request.tags["abord/new_files"] == "2"
    _tick(sensor, instance, context.cursor, "no new partner file in landing")


@pytest.mark.parametrize(("variant", "source"), [("hmis", "housing_participants"), ("fhir", "health_encounters")])
def test_a_contract_variant_keeps_the_source_asset_and_names_its_file(variant: str, source: str) -> None:
    contracts = load_contracts(variants=(variant,))
    asset = ingestion_asset(contracts[source])
    key = AssetKey(["raw", source])
    assert asset.key == key, "dbt lineage starts at the same asset whichever format the partner sends"
    assert asset.metadata_by_key[key]["contract"] == f"{variant}/{source}.yml"


def test_sensor_sees_an_hmis_export_folder_and_its_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, load_contracts(variants=("hmis",)))
    instance = DagsterInstance.ephemeral()
    folder = tmp_path / "landing" / "housing" / "hmis_2026-01"
    folder.mkdir(parents=True)
    (folder / "Client.csv").write_text("PersonalID\n")
    cursor = _tick(sensor, instance, _tick(sensor, instance, None, "to stand still"), RunRequest)
    cursor = _tick(sensor, instance, cursor, "no new partner file")
    (folder / "Enrollment.csv").write_text("EnrollmentID\n")
    cursor = _tick(sensor, instance, cursor, "housing/hmis_2026-01")  # a folder still being copied waits too
    _tick(sensor, instance, cursor, RunRequest)


@pytest.mark.parametrize("made", ["hmis_2026-01", "hmis_2026-01/HMIS_Export"])
def test_an_empty_hmis_export_folder_is_waited_for_until_it_holds_an_export(
    tmp_path: Path, monkeypatch, made: str
) -> None:
    """The steward makes the month's folder (or the sub-folder of an unzipped export) before copying the export into
    it: the empty folder stood still a tick and started a run, which found nothing in it to pack or load. It starts
    none, is named while it waits, is no new file of another source's run, and gets its run once it holds an
    export."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, load_contracts(variants=("hmis",)))
    instance = DagsterInstance.ephemeral()
    landing = tmp_path / "landing"
    (landing / "housing" / made).mkdir(parents=True)
    empty = (
        "; 1 export folder(s) holding no CSV file yet, waited for until an export is copied in: housing/hmis_2026-01"
    )
    cursor = None
    for _ in range(3):
        cursor = _tick(sensor, instance, cursor, f"no new partner file in landing{empty}")
    (landing / "justice").mkdir()
    (landing / "justice" / "events_2026-01.jsonl").write_text("{}\n")
    cursor = _tick(sensor, instance, cursor, f"writing them): justice/events_2026-01.jsonl{empty}")
    context = build_sensor_context(instance=instance, cursor=cursor)
    request = sensor(context)
    assert isinstance(request, RunRequest) and request.tags["abord/new_files"] == "1"
    cursor = _tick(sensor, instance, context.cursor, f"no new partner file in landing{empty}")
    (landing / "housing" / made / "Client.csv").write_text("PersonalID\n")
    cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/hmis_2026-01")
    _tick(sensor, instance, cursor, RunRequest)


def _hmis_folder_packed_by_a_run(tmp_path: Path, monkeypatch):
    """An HMIS export folder in landing, asked for and run once: the run packs it into hmis_2026-01.zip beside it.
    The sensor, its instance, the folder, the run's key and the cursor after it."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    contracts = load_contracts(variants=("hmis",))
    sensor, instance = landing_sensor(refresh_job, contracts), DagsterInstance.ephemeral()
    landing = tmp_path / "landing"
    folder = landing / "housing" / "hmis_2026-01"
    folder.mkdir(parents=True)
    (folder / "Client.csv").write_text("PersonalID\n")

    def packed() -> list[BatchSummary]:
        assert pack_folders(landing, contracts["housing_participants"].file_pattern) == []
        return []

    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, packed)
    assert (folder.parent / "hmis_2026-01.zip").is_file()
    return sensor, instance, folder, run_key, cursor


def test_an_hmis_export_folder_packed_by_its_run_starts_no_other_run(tmp_path: Path, monkeypatch) -> None:
    """The run packs the folder into hmis_2026-01.zip beside it: that ZIP is the folder's, not a new extract (a run
    for it found it already loaded), even once the steward moves the folder away."""
    sensor, instance, folder, _, cursor = _hmis_folder_packed_by_a_run(tmp_path, monkeypatch)
    for _ in range(2):
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    assert "claimed by no contract" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message
    shutil.rmtree(folder)
    for _ in range(2):
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")


def test_an_hmis_export_unzipped_into_a_sub_folder_is_waited_for_then_packed_by_one_run(
    tmp_path: Path, monkeypatch
) -> None:
    """hmis_2026-01/HMIS_Export/Client.csv, as unzipping an export often leaves it: the run packs it as the same
    export, but the sensor listed only the folder's own CSV files. Its fingerprint was empty, complete or still being
    copied (a run as soon as the folder appeared, its files never seen changing), and its ZIP started a run too."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    contracts = load_contracts(variants=("hmis",))
    sensor, instance = landing_sensor(refresh_job, contracts), DagsterInstance.ephemeral()
    landing = tmp_path / "landing"
    folder = landing / "housing" / "hmis_2026-01"
    (folder / "HMIS_Export").mkdir(parents=True)
    (folder / "__MACOSX" / "HMIS_Export").mkdir(parents=True)
    (folder / "__MACOSX" / "HMIS_Export" / "._Client.csv").write_text("fork\n")
    (folder / "HMIS_Export" / "Client.csv").write_text("PersonalID\n")
    cursor = _tick(sensor, instance, None, "to stand still")
    with (folder / "HMIS_Export" / "Client.csv").open("a") as copying:
        copying.write("P1\n")
    cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/hmis_2026-01")
    (folder / "HMIS_Export" / "Enrollment.csv").write_text("EnrollmentID\n")
    cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/hmis_2026-01")

    def packed() -> list[BatchSummary]:
        assert pack_folders(landing, contracts["housing_participants"].file_pattern) == []
        return []

    _, cursor = _request_and_run(sensor, instance, cursor, packed)
    assert (folder.parent / "hmis_2026-01.zip").is_file()
    for _ in range(2):
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    assert "claimed by no contract" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message


def test_an_hmis_export_folder_holding_two_exports_starts_a_run_that_refuses_it(tmp_path: Path, monkeypatch) -> None:
    """Two sub-folders of CSV files: the run refuses the folder (ambiguous_hmis_folder), saying so; the sensor's
    tick neither fails nor waits for ever, names it while it stays, and starts a run again once it is put right."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    contracts = load_contracts(variants=("hmis",))
    sensor, instance = landing_sensor(refresh_job, contracts), DagsterInstance.ephemeral()
    landing = tmp_path / "landing"
    folder = landing / "housing" / "hmis_2026-01"
    for export in ("HMIS_Export", "HMIS_Export_old"):
        (folder / export).mkdir(parents=True)
        (folder / export / "Client.csv").write_text("PersonalID\n")
    refused = (
        "refused by the runs, nothing of it loaded, until put right: housing/hmis_2026-01 (ambiguous_hmis_folder):"
        " no CSV file of its own but 2 folders of them (HMIS_Export, HMIS_Export_old)"
    )
    cursor = _tick(sensor, instance, None, refused)

    def refusing() -> list[BatchSummary]:
        ((unpacked, why),) = pack_folders(landing, contracts["housing_participants"].file_pattern)
        assert unpacked == folder and why.code == "ambiguous_hmis_folder"
        return [BatchSummary("housing_participants", folder.name, "rejected", message=str(why))]

    _, cursor = _request_and_run(sensor, instance, cursor, refusing)
    assert not (folder.parent / "hmis_2026-01.zip").exists()
    for _ in range(2):
        cursor = _tick(sensor, instance, cursor, f"no new partner file in landing; {refused}")
    shutil.rmtree(folder / "HMIS_Export_old")  # put right: the one export of the month left
    cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/hmis_2026-01")
    _tick(sensor, instance, cursor, RunRequest)


@pytest.mark.parametrize("moved", ["hmis_2026-01", "hmis_2026-01/HMIS_Export"])
def test_sensor_ticks_past_an_export_folder_moved_away_as_it_is_listed(tmp_path: Path, monkeypatch, moved) -> None:
    """The folder, or one of its two sub-folders (the steward putting it right), moved away as it is listed: the
    tick does not fail, and a folder left changing is waited for."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    housing = tmp_path / "landing" / "housing"
    for export in ("HMIS_Export", "HMIS_Export_old"):
        (housing / "hmis_2026-01" / export).mkdir(parents=True)
        (housing / "hmis_2026-01" / export / "Client.csv").write_text("PersonalID\n")
    real_iterdir = Path.iterdir

    def moved_as_listed(self: Path):
        if self == housing / moved and self.is_dir():
            shutil.rmtree(self)
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", moved_as_listed)
    contract = load_contracts(variants=("hmis",))["housing_participants"]  # one contract: one listing a tick
    sensor, instance = landing_sensor(refresh_job, {contract.name: contract}), DagsterInstance.ephemeral()
    if "/" not in moved:
        _tick(sensor, instance, None, "no new partner file in landing")
        return
    waiting = "waiting a tick for 1 file(s) new or changed since the last to stand still (an upload may still be"
    cursor = _tick(sensor, instance, None, f"{waiting} writing them): housing/hmis_2026-01")  # not a stray file
    cursor = _tick(sensor, instance, cursor, f"{waiting} writing them): housing/hmis_2026-01")
    _tick(sensor, instance, cursor, RunRequest)  # the one export left, standing still


def test_sensor_names_the_files_in_landing_no_contract_claims(tmp_path: Path, monkeypatch) -> None:
    """A misnamed extract, a partner with no contract yet: no run would ever read them, the steward is told."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, CONTRACTS)
    instance = DagsterInstance.ephemeral()
    landing = tmp_path / "landing"
    for name in ("housing/participant_2025-12.csv", "food/parcels_2025-12.csv", "housing/.tenancies.csv.part"):
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_text("id\n")
    (landing / "housing" / "tenancies_2025-12.csv").write_text("id_bail\n")
    cursor = _tick(sensor, instance, None, "to stand still")
    cursor = _tick(sensor, instance, cursor, RunRequest)
    _tick(
        sensor,
        instance,
        cursor,
        "no new partner file in landing; 2 file(s) claimed by no contract: food/parcels_2025-12.csv,"
        " housing/participant_2025-12.csv",
    )


def test_sensor_ticks_past_a_file_moved_away_as_landing_is_listed(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    housing = tmp_path / "landing" / "housing"
    housing.mkdir(parents=True)
    moved = housing / "tenancies_2025-12.csv"
    moved.write_text("id_bail\n")
    (housing / "participants_2025-12.csv").write_text("id_participant\n")
    real = find_extracts

    def listed_then_moved(contract, landing):
        found = real(contract, landing)
        if moved in found:
            moved.unlink()
        return found

    monkeypatch.setattr("orchestration.landing.find_extracts", listed_then_moved)
    sensor = landing_sensor(refresh_job, CONTRACTS)
    _tick(sensor, DagsterInstance.ephemeral(), None, "waiting a tick for 1 file(s)")


def test_sensor_claims_and_waits_for_a_fhir_export_s_patient_file(tmp_path: Path, monkeypatch) -> None:
    """Encounter_2025-12.ndjson is read with Patient_2025-12.ndjson beside it: the Patient file is no stray file,
    and one still being copied (or re-sent) is waited for as the Encounter file is."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    (tmp_path / "fhir.yml").write_text(FHIR_CONTRACT)
    contract = load_contract(tmp_path / "fhir.yml")
    sensor = landing_sensor(refresh_job, {contract.name: contract})
    instance = DagsterInstance.ephemeral()
    health = tmp_path / "landing" / "health"
    health.mkdir(parents=True)
    (health / "Encounter_2025-12.ndjson").write_text("{}\n")
    patients = health / "Patient_2025-12.ndjson"
    patients.write_text("{}\n")
    cursor = _tick(sensor, instance, None, "waiting a tick for 2 file(s)")
    cursor = _tick(sensor, instance, cursor, RunRequest)
    cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    assert "claimed by no contract" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message
    with patients.open("a") as handle:
        handle.write("{}\n")
    cursor = _tick(sensor, instance, cursor, "health/Patient_2025-12.ndjson")
    _tick(sensor, instance, cursor, RunRequest)


def _request_and_run(sensor, instance, cursor: str | None, batches) -> tuple[str, str]:
    """A tick asking for a run, then that run (_run). Returns the run key and the new cursor."""
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    request = sensor(context)
    assert isinstance(request, RunRequest), request
    _run(instance, request.run_key, batches)
    return request.run_key, context.cursor


def _run(instance, run_key: str, batches) -> None:
    """The run asked for under run_key, as the daemon launches it (tagged with its run key and the sensor): the
    tenancies asset whose batches are `batches()`."""
    tags = {"dagster/run_key": run_key, "dagster/sensor_name": "landing_files"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingestion, "ingest_batches", lambda abord, contract: batches())
        asset = ingestion_asset(CONTRACTS["housing_tenancies"])
        materialize([asset], instance=instance, resources={"abord": AbordResource()}, tags=tags, raise_on_error=False)


def _sensor_and_extract(tmp_path: Path, monkeypatch) -> tuple:
    """The landing sensor on a new instance, and a tenancies extract in landing."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    extract = tmp_path / "landing" / "housing" / "tenancies_2026-01.csv"
    extract.parent.mkdir(parents=True)
    extract.write_text("id_bail;id_participant\n")
    return landing_sensor(refresh_job, CONTRACTS), DagsterInstance.ephemeral(), extract


def _warehouse_down() -> list[BatchSummary]:
    raise psycopg.OperationalError("connection refused")


def _two_queued_runs(sensor, instance, extract: Path) -> tuple[RunRequest, RunRequest, str | None]:
    """Two runs asked for one after the other, not yet run: the first for the extract, the second for new files
    but the source of one that was still changing (left out, then given up), and the cursor after the second."""
    cursor = _tick(sensor, instance, None, "to stand still")
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    first = sensor(context)
    assert isinstance(first, RunRequest)
    stuck = extract.with_name("tenancies_2026-02.csv")
    stuck.write_text("id_bail;id_participant\n")
    (extract.parent / "participants_2026-01.csv").write_text("id_participant;nom\n")
    cursor = _tick(sensor, instance, context.cursor, "waiting a tick for 2 file(s)")
    stuck.write_text("id_bail;id_participant\nB1;P1\n")
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    second = sensor(context)
    assert isinstance(second, RunRequest) and second.tags["abord/left_out"] == "housing_tenancies"
    stuck.unlink()  # the stuck upload given up
    return first, second, context.cursor


def test_sensor_asks_again_for_the_files_of_a_failed_run_backing_off(tmp_path: Path, monkeypatch) -> None:
    """The warehouse down, a crash: the files come back once the steward fixes the cause, with a new run key, after
    1, 2, 4... ticks; a run failing every time stops being asked for until a file changes, and says so."""
    monkeypatch.setattr(sensor_state, "MAX_FAILURES", 2)
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    first, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    cursor = _tick(sensor, instance, cursor, "failed 1 time(s) in a row")
    second, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    assert second != first, "Dagster ignores a run key it has seen"
    cursor = _tick(sensor, instance, cursor, "asked for again in 2 tick(s): housing/tenancies_2026-01.csv")
    cursor = _tick(sensor, instance, cursor, "asked for again in 1 tick(s)")
    _, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    for _ in range(3):
        cursor = _tick(sensor, instance, cursor, "failed 3 time(s) in a row (run ")
    cursor = _tick(sensor, instance, cursor, "asked for again once one changes (or by a refresh started by hand)")
    extract.write_text("id_bail;id_participant\nB1;P1\n")
    os.utime(extract, ns=(1, 2))
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    _, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    _tick(sensor, instance, cursor, "no new partner file in landing")
    assert "failed" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message


def test_a_run_leaving_out_a_source_keeps_its_failed_files_asked_for_again(tmp_path: Path, monkeypatch) -> None:
    """A run that succeeded read every file of a failed run but those of the sources it left out: theirs are still
    to be asked for again, not taken as read."""
    monkeypatch.setattr(sensor_state, "MAX_FAILURES", 0)  # asked for again once one changes: the note says which
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    _, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    stuck = extract.with_name("tenancies_2026-02.csv")
    stuck.write_text("id_bail;id_participant\n")
    (extract.parent / "participants_2026-01.csv").write_text("id_participant;nom\n")
    cursor = _tick(sensor, instance, cursor, "failed 1 time(s) in a row")
    stuck.write_text("id_bail;id_participant\nB1;P1\n")
    _, cursor = _request_and_run(sensor, instance, cursor, lambda: [])  # housing_tenancies left out, succeeded
    stuck.unlink()  # the stuck upload given up
    _tick(
        sensor,
        instance,
        cursor,
        "asked for again once one changes (or by a refresh started by hand): housing/tenancies_2026-01.csv",
    )


def test_runs_failing_before_the_same_tick_are_one_failure_in_a_row(tmp_path: Path, monkeypatch) -> None:
    """Two runs queued one after the other (the second leaving out the source of a file still changing) both fail
    before the next tick, on one cause (the warehouse down): each file failed once, but the failures in a row were
    counted per run: their files waited 2 ticks, as after a second failure, and the skip reason said the refresh had
    failed twice (six such runs: their files waited for a change at once)."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    first, second, cursor = _two_queued_runs(sensor, instance, extract)
    for request in (first, second):
        _run(instance, request.run_key, _warehouse_down)
    (last,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": second.run_key}))
    cursor = _tick(
        sensor,
        instance,
        cursor,
        f"no new partner file in landing; the refresh failed 1 time(s) in a row (run {last.run_id[:8]}): 2 file(s)"
        " asked for again in 1 tick(s): housing/participants_2026-01.csv, housing/tenancies_2026-01.csv",
    )
    _request_and_run(sensor, instance, cursor, list)  # asked for again after one tick, as after one failure


def test_a_run_failing_after_one_that_ended_the_failures_in_the_same_tick_is_a_first_failure(
    tmp_path: Path, monkeypatch
) -> None:
    """Three queued runs, each leaving out the sources of files still changing, whose ends are learnt in one tick:
    the first fails, the second succeeds and ends the failures (the first's file moved away meanwhile), the third
    fails: a first failure in a row, its file asked for again in a tick, though one was counted before in the tick."""
    sensor, instance, tenancies = _sensor_and_extract(tmp_path, monkeypatch)
    housing, justice = tenancies.parent, tmp_path / "landing" / "justice"
    justice.mkdir()
    participants, events = housing / "participants_2026-01.csv", justice / "events_2026-01.jsonl"
    stuck_tenancies, stuck_participants = housing / "tenancies_2026-02.csv", housing / "participants_2026-02.csv"

    def changing(*files: Path) -> None:
        for file in files:
            with file.open("a") as handle:
                handle.write("{}\n")

    changing(participants, events)
    cursor = _tick(sensor, instance, None, "waiting a tick for 3 file(s)")
    queued = []
    for still_changing, left_out in (
        ((participants, events), "housing_participants, justice_events"),
        ((events, stuck_tenancies), "housing_tenancies, justice_events"),
        ((stuck_tenancies, stuck_participants), "housing_participants, housing_tenancies"),
    ):
        changing(*still_changing)
        context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        request = sensor(context)
        assert isinstance(request, RunRequest) and request.tags["abord/left_out"] == left_out, request
        queued.append(request.run_key)
        cursor = context.cursor
    for file in (tenancies, stuck_tenancies, stuck_participants):
        file.unlink()
    for run_key, batches in zip(queued, (_warehouse_down, list, _warehouse_down), strict=True):
        _run(instance, run_key, batches)
    (last,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": queued[-1]}))
    _tick(
        sensor,
        instance,
        cursor,
        f"no new partner file in landing; the refresh failed 1 time(s) in a row (run {last.run_id[:8]}): 1 file(s)"
        " asked for again in 1 tick(s): justice/events_2026-01.jsonl",
    )


def test_sensor_leaves_the_files_of_a_run_canceled_by_the_steward_until_one_changes(tmp_path: Path, monkeypatch):
    """Canceled on purpose (a wrong file dropped, a refresh at a bad hour): asked for again a tick later, the
    steward's cancel was undone, five times over. Dagster's own run retries leave a canceled run alone too."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    (run,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
    instance.report_run_canceled(run)
    for _ in range(3):
        cursor = _tick(sensor, instance, cursor, f"run {run.run_id[:8]} was canceled: 1 file(s) asked for again once")
    extract.write_text("id_bail;id_participant\nB1;P1\n")
    os.utime(extract, ns=(1, 2))
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    _, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    assert "canceled" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message


def test_a_failure_after_a_cancel_leaves_the_canceled_file_waiting_for_a_change(tmp_path: Path, monkeypatch) -> None:
    """A canceled run's file, then a new file whose run fails: the canceled file was merged into the failed run's
    back-off, lost its cancel and was asked for again a tick later with the failed one, undoing the steward's
    cancel, and named as failed from then on."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, list)
    (canceled,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
    instance.report_run_canceled(canceled)
    extract.with_name("tenancies_2026-02.csv").write_text("id_bail;id_participant\n")
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")

    def waiting(run_key: str, failures: int) -> str:
        (failed,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
        return (
            f"no new partner file in landing; the refresh failed {failures} time(s) in a row (run {failed.run_id[:8]}):"
            f" 1 file(s) asked for again in {failures} tick(s): housing/tenancies_2026-02.csv; run"
            f" {canceled.run_id[:8]} was canceled: 1 file(s) asked for again once one changes (or by a refresh started"
            " by hand): housing/tenancies_2026-01.csv"
        )

    run_key, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    cursor = _tick(sensor, instance, cursor, waiting(run_key, 1))
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    again = sensor(context)
    assert isinstance(again, RunRequest) and again.tags["abord/new_files"] == "1", "the failed file only"
    _run(instance, again.run_key, _warehouse_down)
    _tick(sensor, instance, context.cursor, waiting(again.run_key, 2))


def test_a_cancel_after_a_failure_leaves_the_failed_file_backing_off(tmp_path: Path, monkeypatch) -> None:
    """Two queued runs whose ends are learnt in one tick: the first fails, the second (leaving out the source of a
    file still changing) is canceled. The failed run's file was merged into the cancel, waiting for a change: it
    stopped backing off, asked for again never."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    first, second, cursor = _two_queued_runs(sensor, instance, extract)
    _run(instance, first.run_key, _warehouse_down)
    _run(instance, second.run_key, list)
    (failed,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": first.run_key}))
    (canceled,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": second.run_key}))
    instance.report_run_canceled(canceled)
    cursor = _tick(
        sensor,
        instance,
        cursor,
        f"no new partner file in landing; the refresh failed 1 time(s) in a row (run {failed.run_id[:8]}): 1 file(s)"
        f" asked for again in 1 tick(s): housing/tenancies_2026-01.csv; run {canceled.run_id[:8]} was canceled:"
        " 1 file(s) asked for again once one changes (or by a refresh started by hand):"
        " housing/participants_2026-01.csv",
    )
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    again = sensor(context)
    assert isinstance(again, RunRequest) and again.tags["abord/new_files"] == "1", "the failed file only"


def test_a_cursor_from_before_canceled_files_were_kept_apart_keeps_them_waiting(tmp_path: Path, monkeypatch) -> None:
    """A cursor written when a canceled run's files were the failed entry, flagged `canceled`: they still wait for a
    change, named as a canceled run's."""
    sensor, instance, _ = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, list)
    (run,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
    instance.report_run_canceled(run)
    state = json.loads(_tick(sensor, instance, cursor, "was canceled"))
    (canceled,) = state.pop("canceled")
    state["failed"] = {**canceled, "wait": None, "canceled": True}  # as the sensor before the split wrote it
    cursor = json.dumps(state)
    for _ in range(2):
        cursor = _tick(
            sensor,
            instance,
            cursor,
            f"no new partner file in landing; run {run.run_id[:8]} was canceled: 1 file(s) asked for again once one"
            " changes (or by a refresh started by hand): housing/tenancies_2026-01.csv",
        )


def _run_killed_mid_way(instance: DagsterInstance, run_key: str) -> str:
    """The tenancies asset run for run_key in a process of its own, killed as it ingests: its run id."""

    def run() -> None:
        with DagsterInstance.from_ref(instance.get_ref()) as own:
            ingestion.ingest_batches = lambda abord, contract: time.sleep(600)
            tags = {"dagster/run_key": run_key, "dagster/sensor_name": "landing_files"}
            asset = ingestion_asset(CONTRACTS["housing_tenancies"])
            materialize([asset], instance=own, resources={"abord": AbordResource()}, tags=tags)

    worker = multiprocessing.get_context("fork").Process(target=run, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while not (runs := instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))) or not any(
            e.dagster_event.is_step_start for e in instance.all_logs(runs[0].run_id) if e.dagster_event
        ):
            assert time.monotonic() < deadline and worker.is_alive(), "the run never started"
            time.sleep(0.2)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.join()
    return runs[0].run_id


def test_sensor_says_which_run_it_waits_for_when_its_process_died(tmp_path: Path, monkeypatch) -> None:
    """Killed (out of memory, a reboot), a run stays STARTED: the files it was to load were followed up never, the
    skip reason saying only that no file was new."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    extract = tmp_path / "landing" / "housing" / "tenancies_2026-01.csv"
    extract.parent.mkdir(parents=True)
    extract.write_text("id_bail;id_participant\n")
    sensor = landing_sensor(refresh_job, CONTRACTS)
    (tmp_path / "dagster").mkdir()
    with DagsterInstance.local_temp(str(tmp_path / "dagster")) as instance:
        cursor = _tick(sensor, instance, None, "to stand still")
        context = build_sensor_context(instance=instance, cursor=cursor)
        request = sensor(context)
        assert isinstance(request, RunRequest)
        run_id = _run_killed_mid_way(instance, request.run_key)
        (run,) = instance.get_runs(RunsFilter(run_ids=[run_id]))
        assert run.status == DagsterRunStatus.STARTED
        since = instance.get_run_record_by_id(run_id).start_time
        cursor = _tick(
            sensor,
            instance,
            context.cursor,
            f"no new partner file in landing; waiting for the end of run {run_id[:8]}, STARTED for 0 min (since"
            f" {datetime.fromtimestamp(since, UTC):%Y-%m-%d %H:%M} UTC), for its 1 file(s) to follow them up (a run"
            " whose process is gone stays STARTED: terminate it in the Dagster UI)",
        )
        instance.report_run_canceled(run)  # terminated by the steward: the files wait as a canceled run's do
        _tick(sensor, instance, cursor, f"run {run_id[:8]} was canceled: 1 file(s) asked for again once one changes")


def test_run_monitoring_ends_a_run_whose_process_died_once_past_the_max_runtime(tmp_path: Path, monkeypatch) -> None:
    """Killed, a run stayed STARTED for ever and, one run at a time, held every later run until the steward
    terminated it in the UI. On abord's instance, the daemon's run monitoring leaves it alone within the maximum
    runtime (a large first load may take hours) and ends it past it; the sensor then follows its files up."""
    sensor, _, _ = _sensor_and_extract(tmp_path, monkeypatch)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # use_instance sets it: restored after the test
    use_instance(get_settings())
    with DagsterInstance.get() as instance:
        cursor = _tick(sensor, instance, None, "to stand still")
        context = build_sensor_context(instance=instance, cursor=cursor)
        request = sensor(context)
        assert isinstance(request, RunRequest)
        run_id = _run_killed_mid_way(instance, request.run_key)
        started = instance.get_run_record_by_id(run_id).start_time
        cursor = _tick(
            sensor,
            instance,
            context.cursor,
            f"waiting for the end of run {run_id[:8]}, STARTED for 0 min (since"
            f" {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M} UTC), for its 1 file(s) to follow them up (a run"
            " whose process died is ended once it has run 12 h: terminate it in the Dagster UI not to wait)",
        )
        statuses = []
        with create_test_daemon_workspace_context(EmptyWorkspaceTarget(), instance) as workspace:
            for hours in (11.9, 12.1):
                with freeze_time(started + hours * 3600):
                    assert not [e for e in execute_run_monitoring_iteration(workspace, logging.getLogger()) if e]
                statuses.append(instance.get_run_by_id(run_id).status)
        assert statuses == [DagsterRunStatus.STARTED, DagsterRunStatus.FAILURE]
        _tick(sensor, instance, cursor, f"(run {run_id[:8]}): 1 file(s) asked for again in 1 tick(s)")


def test_sensor_asks_again_for_a_file_gone_while_its_batch_read_it(tmp_path: Path, monkeypatch) -> None:
    """Moved away as the run read it, then back as it was (`mv` keeps size, mtime and inode): its batch recorded
    nothing, so it is read again."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    away = tmp_path / "tenancies_2026-01.csv"

    def moved_away() -> list[BatchSummary]:
        extract.rename(away)
        return [BatchSummary("housing_tenancies", extract.name, GONE, message="no longer in landing")]

    cursor = _tick(sensor, instance, None, "to stand still")
    first, cursor = _request_and_run(sensor, instance, cursor, moved_away)
    cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    away.rename(extract)
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    again, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    assert again != first
    _tick(sensor, instance, cursor, "no new partner file in landing")


@pytest.mark.parametrize(
    ("summary", "said"),
    [
        (BatchSummary("housing_tenancies", "tenancies_2025-12.csv", "rejected", message="shrinks_period: ..."), None),
        (BatchSummary("housing_tenancies", "tenancies_2025-12.csv", "unreadable", message="cannot be read: ..."), None),
        (
            BatchSummary(
                "health_encounters", "encounters_2025-12.csv", "loaded", 2, 2, not_in_file=("discharge_mode",)
            ),
            "discharge_mode not in the file: loaded empty",
        ),
    ],
)
def test_a_file_to_follow_up_is_logged_as_a_warning_saying_why(
    tmp_path: Path, monkeypatch, summary: BatchSummary, said: str | None
) -> None:
    """A month refused (shrinks_period), or a file the abord user cannot read, says what to do in the line the run
    logs: as info, the steward looking at a successful run, its warnings, never saw it. So does a file loaded
    without a column it may lack (optional_in_file): the partner's export is to be looked at."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(ingestion, "ingest_batches", lambda abord, contract: [summary])
    instance = DagsterInstance.ephemeral()
    asset = ingestion_asset(CONTRACTS[summary.source])
    result = materialize([asset], instance=instance, resources={"abord": AbordResource()})
    warned = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.WARNING]
    assert any(summary.file_name in m and (said or summary.message) in m for m in warned), warned


def test_sensor_sees_a_file_renamed_over_another_of_the_same_size_and_time(tmp_path: Path, monkeypatch) -> None:
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    os.utime(extract, ns=(1, 2))
    cursor = _tick(sensor, instance, _tick(sensor, instance, None, "to stand still"), RunRequest)
    corrected = extract.with_name(".tenancies_2026-01.csv")
    corrected.write_text("id_participant;id_bail\n")  # as long, columns swapped
    os.utime(corrected, ns=(1, 2))
    corrected.replace(extract)
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    _tick(sensor, instance, cursor, RunRequest)


def test_a_dbt_model_added_after_the_code_location_loaded_fails_the_run_saying_to_reload(
    warehouse_url: str, monkeypatch
) -> None:
    """An analyst's new model, built by a run whose assets came from the manifest read before it: dagster-dbt
    failed on its event with a bare KeyError."""
    monkeypatch.setenv("ABORD_DATABASE_URL", warehouse_url)
    model = DBT_PROJECT_DIR / "models" / "marts" / "fct_added_after_loading.sql"
    model.write_text("select 1 as value\n")
    try:
        result = materialize(
            [abord_dbt_models], resources={"abord": AbordResource(), "dbt": dbt_resource()}, raise_on_error=False
        )
    finally:
        model.unlink()
    failure = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error.message
    assert "changed since this code location loaded it (new: model.abord.fct_added_after_loading)" in failure
    assert "reload the code location" in failure


def test_an_export_folder_the_sensor_may_not_list_fails_no_tick(tmp_path: Path, monkeypatch) -> None:
    """An export folder (or its sub-folder) uploaded with a mode the daemon's user may not read: listing it raised
    PermissionError, failing every tick, so no source got a run. It is named as the run refuses it (unreadable_file,
    nothing of it loaded), starts one run that says so, and the other sources' files are loaded."""
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    landing = tmp_path / "landing"
    locked = landing / "housing" / "hmis_2026-01" / "HMIS_Export"
    locked.mkdir(parents=True)
    (locked / "Client.csv").write_text("PersonalID\n")
    (landing / "justice").mkdir()
    (landing / "justice" / "events_2026-01.jsonl").write_text("{}\n")
    real_iterdir = Path.iterdir

    def denied(self: Path):
        if self == locked:  # root reads any folder whatever its mode: its listing denied as to another user
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", denied)
    contracts = load_contracts(variants=("hmis",))
    sensor, instance = landing_sensor(refresh_job, contracts), DagsterInstance.ephemeral()
    refused = (
        "refused by the runs, nothing of it loaded, until put right: housing/hmis_2026-01 (unreadable_file):"
        " packing it failed on hmis_2026-01/HMIS_Export: Permission denied"
    )
    cursor = _tick(sensor, instance, None, refused)
    (unpacked, why), *_ = pack_folders(landing, contracts["housing_participants"].file_pattern)
    assert unpacked == locked.parent and why.code == "unreadable_file"  # what the run says of it
    cursor = _tick(sensor, instance, cursor, RunRequest)
    cursor = _tick(sensor, instance, cursor, f"no new partner file in landing; {refused}")
    monkeypatch.setattr(Path, "iterdir", real_iterdir)  # put right
    cursor = _tick(sensor, instance, cursor, "(an upload may still be writing them): housing/hmis_2026-01")
    _tick(sensor, instance, cursor, RunRequest)


def test_a_cursor_cleared_by_the_steward_asks_for_runs_under_keys_dagster_has_not_seen(
    tmp_path: Path, monkeypatch
) -> None:
    """The files of a run failing every time wait for a change; the steward clears the sensor's cursor (the UI's
    cursor, `dagster sensor cursor --delete`) to have them asked for again. The chain of run keys started over from
    the same files: the first key asked for was the first run's, which Dagster skips (no run), and the sensor took
    that old failed run for the new one's, asking for none."""
    monkeypatch.setattr(sensor_state, "MAX_FAILURES", 0)
    sensor, instance, _ = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    first, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    _tick(sensor, instance, cursor, "failed 1 time(s) in a row")
    cursor = _tick(sensor, instance, None, "to stand still")  # cleared: landing as at the first tick
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    request = sensor(context)
    assert isinstance(request, RunRequest)
    assert not instance.get_runs(RunsFilter(tags={"dagster/run_key": request.run_key})), "Dagster skips it"
    again, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    assert again != first
    assert "failed" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message


def test_a_cursor_from_before_runs_were_followed_one_by_one_still_follows_its_run(tmp_path: Path, monkeypatch) -> None:
    """A cursor written before today's sensor ('pending': the files of the runs asked for, all answered for by the
    last, run_key): the run it waits for is followed up, its files asked for again once it fails, and no file twice."""
    sensor, instance, _ = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    state = json.loads(cursor)
    assert list(state["runs"]) == [run_key]
    old = {k: state[k] for k in ("requested", "seen", "run_key", "failures", "failed")}
    old["pending"] = state["runs"][run_key]["files"]  # as the sensor before 2a3afeb wrote it
    failed = next(iter(instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key})))).run_id[:8]
    cursor = _tick(  # its run's failure learnt from the converted cursor
        sensor,
        instance,
        json.dumps(old),
        f"failed 1 time(s) in a row (run {failed}): 1 file(s) asked for again in 1 tick(s):"
        " housing/tenancies_2026-01.csv",
    )
    again, cursor = _request_and_run(sensor, instance, cursor, list)
    assert again != run_key
    cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    assert not json.loads(cursor)["runs"] and "pending" not in json.loads(cursor)


def test_the_zip_packed_by_a_canceled_run_waits_as_its_folder_does(tmp_path: Path, monkeypatch) -> None:
    """The steward cancels the run of a wrong HMIS export folder and moves the folder away: the ZIP the run had
    packed from it stayed in landing and started a run of its own, loading the export the cancel was for."""
    sensor, instance, folder, run_key, cursor = _hmis_folder_packed_by_a_run(tmp_path, monkeypatch)
    (run,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
    instance.report_run_canceled(run)
    canceled = f"run {run.run_id[:8]} was canceled: 1 file(s) asked for again once one changes"
    cursor = _tick(sensor, instance, cursor, f"{canceled} (or by a refresh started by hand): housing/hmis_2026-01")
    shutil.rmtree(folder)
    for _ in range(2):
        cursor = _tick(
            sensor, instance, cursor, f"{canceled} (or by a refresh started by hand): housing/hmis_2026-01.zip"
        )


def test_a_refresh_started_by_hand_after_a_failed_run_ends_the_failures(tmp_path: Path, monkeypatch) -> None:
    """Failing every time, the files wait 'once one changes (or by a refresh started by hand)': the steward fixes the
    cause and starts the refresh by hand, which loads them. The skip reason said the refresh failed for ever after,
    and the failures in a row were still counted: the next file's run failing once was never asked for again."""
    monkeypatch.setattr(sensor_state, "MAX_FAILURES", 1)
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    _, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    cursor = _tick(sensor, instance, cursor, "failed 1 time(s) in a row")
    _, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    cursor = _tick(sensor, instance, cursor, "failed 2 time(s) in a row (run ")
    with monkeypatch.context() as fixed:  # the refresh job run in process, as `abord run` does (no asset selection)
        fixed.setattr(ingestion, "ingest_batches", lambda abord, contract: [])
        tenancies = {AssetKey(["raw", "housing_tenancies"])}  # the rest, and the checks, read the warehouse
        by_hand = defs.resolve_job_def("refresh").get_subset(asset_selection=tenancies, asset_check_selection=set())
        assert by_hand.execute_in_process(instance=instance).success
    cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    assert "failed" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message
    extract.with_name("tenancies_2026-02.csv").write_text("id_bail;id_participant\n")
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    _, cursor = _request_and_run(sensor, instance, cursor, _warehouse_down)
    cursor = _tick(sensor, instance, cursor, "the refresh failed 1 time(s) in a row (run ")
    _request_and_run(sensor, instance, cursor, list)  # asked for again after its wait


def test_the_files_of_a_run_deleted_before_its_end_was_learnt_wait_as_a_canceled_run_s(
    tmp_path: Path, monkeypatch
) -> None:
    """A run deleted in the Dagster UI before the sensor learnt how it ended: it stayed followed for ever, its files
    never asked for again, every tick saying only 'no new partner file'. A run asked for but not yet created by the
    daemon has no record for a moment too: it is followed up once it is."""
    sensor, instance, extract = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    run_key, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    (run,) = instance.get_runs(RunsFilter(tags={"dagster/run_key": run_key}))
    instance.delete_run(run.run_id)
    for _ in range(sensor_state.UNSEEN_TICKS - 1):  # not created yet, maybe: not given up at once
        cursor = _tick(sensor, instance, cursor, "no new partner file in landing")
    deleted = f"; run asked for under run key {run_key} was deleted before it ended (in the Dagster UI?): 1 file(s)"
    for _ in range(2):
        cursor = _tick(
            sensor,
            instance,
            cursor,
            f"no new partner file in landing{deleted} asked for again once one changes (or by a refresh started by"
            " hand): housing/tenancies_2026-01.csv",
        )
    assert not json.loads(cursor)["runs"]
    extract.write_text("id_bail;id_participant\nB1;P1\n")
    os.utime(extract, ns=(1, 2))
    cursor = _tick(sensor, instance, cursor, "waiting a tick for 1 file(s)")
    again, cursor = _request_and_run(sensor, instance, cursor, lambda: [])
    assert again != run_key
    assert "deleted" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message


def test_a_run_seen_then_deleted_is_given_up_at_once_and_one_created_late_is_followed_up(
    tmp_path: Path, monkeypatch
) -> None:
    """A run the sensor saw created, deleted before it ended: its files wait at the next tick. A run the daemon
    creates only a tick after it was asked for (a daemon that died meanwhile) is no deleted run: its failure is
    learnt as any."""
    sensor, instance, _ = _sensor_and_extract(tmp_path, monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    request = sensor(context)
    assert isinstance(request, RunRequest)
    cursor = _tick(sensor, instance, context.cursor, "no new partner file in landing")  # not created yet
    assert "deleted" not in sensor(build_sensor_context(instance=instance, cursor=cursor)).skip_message
    tags = {"dagster/run_key": request.run_key, "dagster/sensor_name": "landing_files"}
    created = instance.create_run_for_job(defs.resolve_job_def("refresh"), tags=tags)
    cursor = _tick(sensor, instance, cursor, f"waiting for the end of run {created.run_id[:8]}, NOT_STARTED")
    instance.delete_run(created.run_id)
    _tick(sensor, instance, cursor, f"run {created.run_id[:8]} was deleted before it ended (in the Dagster UI?)")

    sensor, instance, _ = _sensor_and_extract(tmp_path / "late", monkeypatch)
    cursor = _tick(sensor, instance, None, "to stand still")
    context = build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
    assert isinstance(sensor(context), RunRequest)
    later = context.cursor
    for _ in range(sensor_state.UNSEEN_TICKS - 1):
        later = _tick(sensor, instance, later, "no new partner file in landing")
    _request_and_run(sensor, instance, cursor, _warehouse_down)  # the same run key, created late
    _tick(sensor, instance, later, "the refresh failed 1 time(s) in a row (run ")
