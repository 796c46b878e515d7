"""The Dagster definitions: every contract is an asset, dbt lineage starts at it, schedule and sensor exist."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import AssetKey, DagsterInstance, DefaultScheduleStatus, RunRequest, build_sensor_context

from orchestration.definitions import CONTRACTS, defs, landing_sensor, refresh_job
from orchestration.ingestion import ingestion_asset
from pipelines.contract import load_contracts


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
    context = build_sensor_context(instance=instance)
    assert isinstance(sensor(context), RunRequest)
    assert not isinstance(sensor(build_sensor_context(instance=instance, cursor=context.cursor)), RunRequest)

    extract.write_text("id_bail;id_participant\nB1;P1\n")
    os.utime(extract, ns=(1, 2))
    assert isinstance(sensor(build_sensor_context(instance=instance, cursor=context.cursor)), RunRequest)


def test_a_contract_variant_keeps_the_source_asset_and_names_its_file() -> None:
    contracts = load_contracts(variants=("hmis",))
    asset = ingestion_asset(contracts["housing_participants"])
    key = AssetKey(["raw", "housing_participants"])
    assert asset.key == key, "dbt lineage starts at the same asset whichever format housing sends"
    assert asset.metadata_by_key[key]["contract"] == "hmis/housing_participants.yml"


def test_sensor_sees_an_hmis_export_folder_and_its_changes(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    sensor = landing_sensor(refresh_job, load_contracts(variants=("hmis",)))
    instance = DagsterInstance.ephemeral()
    folder = tmp_path / "landing" / "housing" / "hmis_2026-01"
    folder.mkdir(parents=True)
    (folder / "Client.csv").write_text("PersonalID\n")
    context = build_sensor_context(instance=instance)
    assert isinstance(sensor(context), RunRequest), "a dropped export folder starts a refresh"
    assert not isinstance(sensor(build_sensor_context(instance=instance, cursor=context.cursor)), RunRequest)
    (folder / "Enrollment.csv").write_text("EnrollmentID\n")
    assert isinstance(sensor(build_sensor_context(instance=instance, cursor=context.cursor)), RunRequest)
