"""The Dagster instance lives under the data directory, so runs and the UI share one history."""

from __future__ import annotations

import os

from pipelines.settings import Settings

DAGSTER_YAML = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


def use_instance(settings: Settings) -> None:
    """Point DAGSTER_HOME at <data dir>/dagster, creating its configuration the first time."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)


def run_refresh(settings: Settings) -> bool:
    """Materialise every asset in this process (the `refresh` job); True when the run succeeded."""
    use_instance(settings)
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    with DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
    return result.success
