"""A sensor on the landing folder: a new or changed partner file starts a refresh once it stands still (a source
with a file still changing is left out of it, and only that source); the files of a run that failed, or whose
batches found them changed or gone, are asked for again. What it lists is in landing.py, what it keeps from one
tick to the next in sensor_state.py, what it tells the steward in skip_notes.py."""

import json
import time

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from orchestration.ingestion import source_asset_key
from orchestration.landing import list_landing, unclaimed_files
from orchestration.sensor_state import ask_for, follow_packed, load_state, refreshed_since, settle
from orchestration.skip_notes import changing_note, empty_note, failed_note, refused_note, running_note, shown
from pipelines.contract import Contract

SENSOR = "landing_files"


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
            context.log.warning(f"in landing, claimed by no source contract (misnamed?): {shown(unclaimed)}")
        state["seen"] = landing.fingerprints
        if not ready:
            context.update_cursor(json.dumps(state))
            if arriving:
                return SkipReason(
                    f"waiting a tick for {len(arriving)} file(s) new or changed since the last to stand still"
                    f" (an upload may still be writing them): {shown(arriving)}{changing_note(state, now)}"
                    f"{failed_note(state, current)}{refused_note(landing)}{empty_note(landing)}"
                    f"{running_note(context, state, now)}"
                )
            unnamed = f"; {len(unclaimed)} file(s) claimed by no contract: {shown(unclaimed)}" if unclaimed else ""
            notes = (
                f"{failed_note(state, current)}{refused_note(landing)}{empty_note(landing)}"
                f"{running_note(context, state, now)}{unnamed}"
            )
            return SkipReason(f"no new partner file in landing{notes}")
        run_key = ask_for(state, landing, ready, held, now)
        context.update_cursor(json.dumps(state))
        tags, selection = {"abord/new_files": str(len(ready))}, None
        if held:
            context.log.info(
                f"{', '.join(sorted(held))} left out of this run, waiting for {shown(arriving)} to stand still"
                f"{changing_note(state, now)}"
            )
            tags["abord/left_out"] = ", ".join(sorted(held))
            keys = context.repository_def.get_job(job.name).asset_layer.selected_asset_keys
            selection = sorted(keys - {source_asset_key(contracts[name]) for name in held}, key=str)
        return RunRequest(run_key=run_key, tags=tags, asset_selection=selection)

    return _sensor
