"""The Dagster definitions of abord: partner ingestion, the dbt models, a monthly schedule and a landing sensor."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job

from orchestration.dbt import abord_dbt_models, dbt_resource
from orchestration.ingestion import extracts_on_time_check, ingestion_asset, rows_balance_check
from orchestration.resources import AbordResource
from orchestration.sensors import landing_sensor
from pipelines.contract import load_contracts

CONTRACTS = load_contracts()

refresh_job = define_asset_job(
    "refresh",
    selection=AssetSelection.all(),
    description="Ingest every new partner extract, then rebuild dbt.",
)

# Partners send month-end extracts in the first days of the month.
monthly_schedule = ScheduleDefinition(name="monthly_refresh", job=refresh_job, cron_schedule="0 6 5 * *")

defs = Definitions(
    assets=[*(ingestion_asset(c) for c in CONTRACTS.values()), abord_dbt_models],
    asset_checks=[check(c) for c in CONTRACTS.values() for check in (rows_balance_check, extracts_on_time_check)],
    jobs=[refresh_job],
    schedules=[monthly_schedule],
    sensors=[landing_sensor(refresh_job, CONTRACTS)],
    resources={"abord": AbordResource(), "dbt": dbt_resource()},
)
