"""The Dagster definitions of abord: partner ingestion, the dbt models, a monthly schedule, a landing sensor and a
daily watch of overdue extracts."""

from __future__ import annotations

from dagster import AssetSelection, DefaultScheduleStatus, Definitions, ScheduleDefinition, define_asset_job

from orchestration.dbt import abord_dbt_models, dbt_resource
from orchestration.ingestion import extracts_on_time_check, ingestion_asset, rows_balance_check
from orchestration.resources import AbordResource
from orchestration.sensors import landing_sensor
from pipelines.contract import load_contracts
from pipelines.settings import get_settings

CONTRACTS = load_contracts()
TIMEZONE = get_settings().timezone  # Dagster reads a cron in UTC unless told

refresh_job = define_asset_job(
    "refresh",
    selection=AssetSelection.all(),
    description="Ingest every new partner extract, then rebuild dbt.",
)

# Partners send month-end extracts in the first days of the month.
monthly_schedule = ScheduleDefinition(
    name="monthly_refresh", job=refresh_job, cron_schedule="0 6 5 * *", execution_timezone=TIMEZONE
)

# Each source's month falls due on its own day (due_days): the steward sees every morning which are overdue, not
# only when a refresh runs. The checks read the ledger and load nothing.
on_time_checks = [extracts_on_time_check(c) for c in CONTRACTS.values()]
watch_job = define_asset_job(
    "watch_extracts",
    selection=AssetSelection.checks(*on_time_checks),
    description="Check which months of partner extracts are overdue, without loading anything.",
)
daily_watch = ScheduleDefinition(
    name="daily_extract_watch",
    job=watch_job,
    cron_schedule="0 7 * * *",
    execution_timezone=TIMEZONE,
    default_status=DefaultScheduleStatus.RUNNING,  # it only reads the ledger: on as soon as the daemon runs
)

defs = Definitions(
    assets=[*(ingestion_asset(c) for c in CONTRACTS.values()), abord_dbt_models],
    asset_checks=[*(rows_balance_check(c) for c in CONTRACTS.values()), *on_time_checks],
    jobs=[refresh_job, watch_job],
    schedules=[monthly_schedule, daily_watch],
    sensors=[landing_sensor(refresh_job, CONTRACTS)],
    resources={"abord": AbordResource(), "dbt": dbt_resource()},
)
