"""The Dagster instance abord configures under the data directory: one run at a time, hanging runs ended."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from orchestration.instance import use_instance
from pipelines.settings import get_settings

# data/dagster/dagster.yaml as abord wrote it before it set run monitoring (written only when missing, so kept)
WRITTEN_BEFORE = """\
telemetry:
  enabled: false
run_coordinator:
  module: dagster._core.run_coordinator.queued_run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
"""


@pytest.fixture
def dagster_yaml(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("ABORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))  # use_instance sets it: restored after the test
    return get_settings().dagster_home / "dagster.yaml"


def _instance_settings() -> tuple[bool, int, int]:
    with DagsterInstance.get() as instance:
        queue = instance.run_coordinator.get_run_queue_config()
        return instance.run_monitoring_enabled, instance.run_monitoring_max_runtime_seconds, queue.max_concurrent_runs


def test_a_new_instance_runs_one_run_at_a_time_and_ends_one_hanging_after_12_hours(dagster_yaml: Path) -> None:
    use_instance(get_settings())
    assert _instance_settings() == (True, 12 * 3600, 1)


def test_a_dagster_yaml_written_before_run_monitoring_gets_it_once(dagster_yaml: Path) -> None:
    """abord writes dagster.yaml only when it is missing: one written by an earlier abord kept a dead run STARTED."""
    dagster_yaml.parent.mkdir(parents=True)
    dagster_yaml.write_text(WRITTEN_BEFORE)
    use_instance(get_settings())
    assert _instance_settings() == (True, 12 * 3600, 1)
    added = dagster_yaml.read_text()
    assert added.startswith(WRITTEN_BEFORE)
    use_instance(get_settings())
    assert dagster_yaml.read_text() == added


def test_a_dagster_yaml_with_the_steward_s_own_run_monitoring_is_left_as_it_is(dagster_yaml: Path) -> None:
    dagster_yaml.parent.mkdir(parents=True)
    own = WRITTEN_BEFORE + "run_monitoring:\n  enabled: true\n  max_runtime_seconds: 86400  # a 20 h first load\n"
    dagster_yaml.write_text(own)
    use_instance(get_settings())
    assert dagster_yaml.read_text() == own
    assert _instance_settings() == (True, 24 * 3600, 1)
