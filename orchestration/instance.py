"""The Dagster instance lives under the data directory, so runs and the UI share one history."""

from __future__ import annotations

import os
import re

from pipelines.settings import Settings

# Dagster's daemon (run by `abord ui`) ends hanging runs. The default run launcher cannot tell a dead worker from a
# busy one, so a run whose process died is ended only by its maximum runtime; the comment goes into dagster.yaml,
# where the steward would change it.
RUN_MONITORING = """\
# A run whose process died (a reboot, out of memory) stays STARTED and, one run at a time, holds every later run:
# it is ended after max_runtime_seconds (12 h, above a large programme's first load). Raise it if a run may take
# longer; a run tagged dagster/max_runtime (seconds) has its own.
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  max_runtime_seconds: 43200
"""

DAGSTER_YAML = f"""\
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
{RUN_MONITORING}"""


def use_instance(settings: Settings) -> None:
    """Point DAGSTER_HOME at <data dir>/dagster, creating its configuration the first time, and adding run monitoring
    to one written before abord set it (one holding a run_monitoring section of the steward's own is left as is)."""
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    elif not re.search(r"^run_monitoring\s*:", text := config.read_text(), re.MULTILINE):
        config.write_text(text + ("\n" if text and not text.endswith("\n") else "") + RUN_MONITORING)
    os.environ["DAGSTER_HOME"] = str(home)


def run_refresh(settings: Settings) -> bool:
    """Materialise every asset in this process (the `refresh` job); True when the run succeeded."""
    use_instance(settings)
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    with DagsterInstance.get() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(instance=instance, raise_on_error=False)
    return result.success
