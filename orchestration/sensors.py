"""A sensor on the landing folder: a new or changed partner file starts a refresh once it stands still (a source
with a file still changing is left out of it, and only that source); the files of a run that failed, or whose
batches found them changed or gone, are asked for again. What it lists is in landing.py, what it keeps from one
tick to the next in sensor_state.py."""

import json
import time
from datetime import UTC, datetime

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.ingestion import source_asset_key
from orchestration.landing import Landing, list_landing, unclaimed_files
from orchestration.sensor_state import ask_for, follow_packed, load_state, refreshed_since, run_record, settle
from pipelines.contract import Contract

SENSOR = "landing_files"


def _shown(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def _failed_note(state: dict, current: dict[str, str]) -> str:
    failed = state["failed"]
    files = sorted(p for p, f in (failed or {}).get("files", {}).items() if current.get(p) == f)
    if not files:
        return ""
    when = f"in {failed['wait']} tick(s)" if failed["wait"] else "once one changes (or by a refresh started by hand)"
    if failed.get("deleted"):
        return (
            f"; run {failed['run']} was deleted before it ended (in the Dagster UI?): {len(files)} file(s) asked for"
            f" again {when}: {_shown(files)}"
        )
    if failed.get("canceled"):
        return f"; run {failed['run']} was canceled: {len(files)} file(s) asked for again {when}: {_shown(files)}"
    return (
        f"; the refresh failed {state['failures']} time(s) in a row (run {failed['run']}):"
        f" {len(files)} file(s) asked for again {when}: {_shown(files)}"
    )


def _refused_note(landing: Landing) -> str:
    """The export folders the runs refuse, loading nothing of them, until the steward puts them right."""
    if not landing.refused:
        return ""
    return "; refused by the runs, nothing of it loaded, until put right: " + "; ".join(
        landing.refused[p] for p in sorted(landing.refused)
    )


def _since(started: float, now: float) -> str:
    minutes = int(now - started) // 60
    took = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"for {took} (since {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M} UTC)"


def _changing_note(state: dict, now: float) -> str:
    """The files that changed at every tick since an earlier one: a stuck upload, a partner writing for ever."""
    long = sorted((since, path) for path, since in state["changing"].items() if since < now)
    if not long:
        return ""
    return "; still changing: " + ", ".join(f"{path} {_since(since, now)}" for since, path in long)


def _running_note(context: SensorEvaluationContext, state: dict, now: float) -> str:
    """The runs whose end their files' follow-up waits for (asked for again if it fails): a run whose process died
    stays STARTED, quietly, and holds the queue too."""
    notes = []
    for run_key, asked in state["runs"].items():
        if record := run_record(context, run_key):
            run, since = record.dagster_run, record.start_time or record.create_timestamp.timestamp()
            files = len(asked["files"])
            notes.append(f"run {run.run_id[:8]}, {run.status.value} {_since(since, now)}, for its {files} file(s)")
    if not notes:
        return ""
    return (
        f"; waiting for the end of {'; '.join(notes)} to follow them up (a run whose process is gone stays STARTED:"
        " terminate it in the Dagster UI)"
    )


def landing_sensor(job, contracts: dict[str, Contract]):
    @sensor(name=SENSOR, job=job, minimum_interval_seconds=60)
    def _sensor(context: SensorEvaluationContext):
        # A run starts once the new files stood still since the last tick, never while an upload still writes one
        # (partners' uploads write under the final name): a source with a file still changing waits, left out of
        # the run, and only it: a partner writing to a file for ever would hold back every other source.
        state, now = load_state(context.cursor), time.time()
        landing = list_landing(contracts)
        settle(context, state, landing)
        refreshed_since(context, state, landing, job.name, contracts)
        follow_packed(state, landing)
        current = landing.watched
        new = sorted(path for path, fingerprint in current.items() if state["requested"].get(path) != fingerprint)
        arriving = [path for path in new if state["seen"].get(path) != current[path]]
        state["changing"] = {path: state["changing"].get(path, now) for path in arriving}
        held = {source for path in arriving for source in landing.sources[path]}
        waiting = landing.claimed_by(new, held)
        ready = [path for path in new if path not in waiting]
        unclaimed = unclaimed_files(landing.claimed)
        if unclaimed:
            context.log.warning(f"in landing, claimed by no source contract (misnamed?): {_shown(unclaimed)}")
        state["seen"] = landing.fingerprints
        if not ready:
            context.update_cursor(json.dumps(state))
            if arriving:
                return SkipReason(
                    f"waiting a tick for {len(arriving)} file(s) new or changed since the last to stand still"
                    f" (an upload may still be writing them): {_shown(arriving)}{_changing_note(state, now)}"
                    f"{_failed_note(state, current)}{_refused_note(landing)}{_running_note(context, state, now)}"
                )
            unnamed = f"; {len(unclaimed)} file(s) claimed by no contract: {_shown(unclaimed)}" if unclaimed else ""
            notes = (
                f"{_failed_note(state, current)}{_refused_note(landing)}{_running_note(context, state, now)}{unnamed}"
            )
            return SkipReason(f"no new partner file in landing{notes}")
        run_key = ask_for(state, landing, ready, held, now)
        context.update_cursor(json.dumps(state))
        tags, selection = {"abord/new_files": str(len(ready))}, None
        if held:
            context.log.info(
                f"{', '.join(sorted(held))} left out of this run, waiting for {_shown(arriving)} to stand still"
                f"{_changing_note(state, now)}"
            )
            tags["abord/left_out"] = ", ".join(sorted(held))
            keys = context.repository_def.get_job(job.name).asset_layer.selected_asset_keys
            selection = sorted(keys - {source_asset_key(contracts[name]) for name in held}, key=str)
        return RunRequest(run_key=run_key, tags=tags, asset_selection=selection)

    return _sensor
