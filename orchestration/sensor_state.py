"""The landing sensor's state, kept as JSON in its cursor from one tick to the next: which files were asked for,
the runs asked for and how they ended, the files of failed or canceled runs and when they are asked for again,
and the chain of run keys.

requested: landing as runs were asked for; seen: landing at the last tick; runs: by run key, the runs asked for
whose outcome is not known yet, with the new files each answers for (the latest run reading a file answers for
it), the sources it `held` back, when it was asked for (`at`), its run id once seen and the ticks it had no record
(`unseen`); run_key: the last asked for, the next chained to it; failed: the files of failed runs, asked for again
in `wait` ticks (None: once one changes); canceled: by run, the files of canceled runs (or deleted ones: `deleted`),
asked for again once one changes, kept apart from failed ones so each keeps its own reason and schedule (a file
is in one entry at most: its latest run's); changing: since when (epoch seconds) each new file changed at every
tick."""

import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from dagster import DagsterEventType, DagsterRunStatus, RunRecord, RunsFilter, SensorEvaluationContext

from orchestration.ingestion import READ_AGAIN, source_asset_key
from orchestration.landing import Landing
from pipelines.contract import Contract

MAX_FAILURES = 5  # failed runs in a row (waits of 1, 2, 4, 8, 16 ticks) before their files wait for a change
# ticks a run asked for may have no record before it is taken for deleted: the daemon creates it in the tick asking
# for it (a daemon that died meanwhile creates it as it resumes that tick), so by the next tick it exists
UNSEEN_TICKS = 3


def load_state(cursor: str | None) -> dict:
    """The state a cursor holds, cursors written by earlier versions of the sensor included."""
    saved = json.loads(cursor) if cursor else {}
    if saved and "requested" not in saved:  # the first cursor held only what was requested
        saved = {"requested": saved}
    state = {"requested": {}, "seen": {}, "run_key": None, "runs": {}, "failures": 0, "failed": None, **saved}
    state.setdefault("canceled", [])
    if (state["failed"] or {}).pop("canceled", None):  # a cursor from before canceled files were kept apart
        state["canceled"].append({k: v for k, v in state["failed"].items() if k != "wait"})
        state["failed"] = None
    if not saved:  # a first tick, or a cursor the steward cleared: run keys chained from a seed of their own, or
        # the first asked for would be the first ever run's (the same files) and Dagster would skip it, launching none
        state["run_key"] = uuid.uuid4().hex[:16]
    state.setdefault("changing", {})
    if pending := state.pop("pending", None):  # a cursor from before runs were followed one by one
        state["runs"][state["run_key"]] = {"files": pending, "held": []}
    return state


def run_record(context: SensorEvaluationContext, run_key: str) -> RunRecord | None:
    """The run launched for run_key (the latest: a Dagster retry of it carries its tags); None until launched."""
    records = context.instance.get_run_records(RunsFilter(tags={"dagster/run_key": run_key}), limit=1)
    return records[0] if records else None


def _read_again(context: SensorEvaluationContext, run_id: str) -> set[str]:
    """The names of the files whose batch in that run recorded nothing (changed or gone while read)."""
    records = context.instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION).records
    names: set[str] = set()
    for record in records:
        if listed := record.event_log_entry.asset_materialization.metadata.get(READ_AGAIN):
            names.update(listed.value)
    return names


def settle(context: SensorEvaluationContext, state: dict, landing: Landing) -> None:
    """Release the files of failed runs whose wait is over, and learn how the runs asked for ended. A file asked
    for again counts as new: requested with a new run key (Dagster ignores one it has seen) once it stands still."""
    failed = state["failed"]
    if failed and failed["wait"]:
        failed["wait"] -= 1
        if not failed["wait"]:
            state["requested"] = {p: f for p, f in state["requested"].items() if failed["files"].get(p) != f}
            state["failed"] = None
    # failures in a row are counted by tick, not by run: queued runs that all failed since the last tick (on one
    # cause: the warehouse down) each failed their files once, and back them off as one failure does
    counted = False
    for run_key, asked in list(state["runs"].items()):  # in the order asked for, as the queue launches them
        if not (record := run_record(context, run_key)):
            _gone(state, run_key, asked)
            continue
        asked["run"], run = record.dagster_run.run_id, record.dagster_run
        if not run.is_finished or run.is_complete_and_waiting_to_retry:
            continue
        del state["runs"][run_key]
        ended = record.end_time or time.time()
        if run.is_success:
            again = _read_again(context, run.run_id)
            state["requested"] = {p: f for p, f in state["requested"].items() if Path(p).name not in again}
            # it read every failed or canceled file but those of the sources it held back
            held = set(asked["held"])
            _keep_only(state, lambda entry, held=held: landing.claimed_by(list(entry["files"]), held))
            if not state["failed"]:
                state["failures"] = 0
                counted = False  # a failure after it is the first in a row again
            continue
        _taken_over(state, asked["files"])
        if run.status == DagsterRunStatus.CANCELED:  # on purpose: asked for again, the cancel would be undone
            state["canceled"].append({"files": asked["files"], "run": run.run_id[:8], "at": ended})
        else:  # failed: back off, then wait for a change, not to start a run failing every minute
            failures = state["failures"] if counted else state["failures"] + 1
            counted = True
            wait = 2 ** (failures - 1) if failures <= MAX_FAILURES else None
            files = {**(state["failed"] or {}).get("files", {}), **asked["files"]}
            state.update(failures=failures, failed={"files": files, "wait": wait, "run": run.run_id[:8], "at": ended})


def _keep_only(state: dict, kept: Callable[[dict], Iterable[str]]) -> None:
    """Keep in the failed entry and in each canceled run's only the files `kept` picks of it, dropping an entry left
    with none."""
    for entry in [state["failed"], *state["canceled"]]:
        if entry:
            picked = set(kept(entry))
            entry["files"] = {p: f for p, f in entry["files"].items() if p in picked}
    if state["failed"] and not state["failed"]["files"]:
        state["failed"] = None
    state["canceled"] = [entry for entry in state["canceled"] if entry["files"]]


def _taken_over(state: dict, files: dict[str, str]) -> None:
    """A run that failed, was canceled or deleted read `files` last: its end, not an earlier run's, says when they are
    asked for again, so they leave the entries of earlier runs."""
    _keep_only(state, lambda entry: set(entry["files"]) - set(files))


def _gone(state: dict, run_key: str, asked: dict) -> None:
    """A run asked for with no record: not created yet by the daemon for a tick or two, or deleted in the Dagster UI
    (once seen, or never seen for UNSEEN_TICKS ticks) before its end was learnt. Deleted, its files wait as a
    canceled run's do (asked for again, the deletion would be undone), or they would be followed up never."""
    asked["unseen"] = asked.get("unseen", 0) + 1
    if not asked.get("run") and asked["unseen"] < UNSEEN_TICKS:
        return
    del state["runs"][run_key]
    _taken_over(state, asked["files"])
    run = asked["run"][:8] if asked.get("run") else f"asked for under run key {run_key}"
    # a refresh that succeeded since its files were asked for read them
    at = asked.get("at") or time.time()
    state["canceled"].append({"files": asked["files"], "run": run, "deleted": True, "at": at})


def refreshed_since(
    context: SensorEvaluationContext, state: dict, landing: Landing, job_name: str, contracts: dict[str, Contract]
) -> None:
    """A refresh that succeeded after a failed (or canceled) run ended, started by hand as the skip reason says (or
    by the schedule), read that run's files of the sources it ran: they wait no more, and once no failed file is
    left the failures in a row are over (the next failure backs off from the start). `at`: when the run ended."""

    def unread(entry: dict) -> Iterable[str]:
        if not entry.get("at"):  # a cursor from before it was kept
            return entry["files"]
        done = RunsFilter(
            job_name=job_name,
            statuses=[DagsterRunStatus.SUCCESS],
            created_after=datetime.fromtimestamp(entry["at"], UTC),
        )
        left = set(entry["files"])
        for record in context.instance.get_run_records(done, limit=20):
            selected = record.dagster_run.asset_selection  # none (or empty: execute_in_process, `abord run`): all
            ran = {name for name, c in contracts.items() if not selected or source_asset_key(c) in selected}
            # a file no longer in landing has nothing left to read
            left = {p for p in left if p in landing.sources and not landing.sources[p] & ran}
        return left

    failed = state["failed"]
    _keep_only(state, unread)
    if failed and not state["failed"]:
        state["failures"] = 0


def follow_packed(state: dict, landing: Landing) -> None:
    """A ZIP a run packed from its folder stands for the folder: once the folder's run is over (not failed), the ZIP
    counts as asked for, and the folder moved away later starts no run that finds it already loaded. While the
    folder's files are a failed or canceled run's, so is its ZIP: moved away then, the folder (a wrong export whose
    run the steward canceled) is not loaded from its ZIP, which waits as the folder would have."""
    waiting = [entry["files"] for entry in [state["failed"], *state["canceled"]] if entry]
    busy = {path for asked in state["runs"].values() for path in asked["files"]}
    busy |= {path for files in waiting for path in files}
    for packed, folder in landing.packed.items():
        if packed not in landing.fingerprints:
            continue
        if owner := next((files for files in waiting if files.get(folder) == landing.fingerprints[folder]), None):
            owner[packed] = state["requested"][packed] = landing.fingerprints[packed]
        elif folder not in busy and state["requested"].get(folder) == landing.fingerprints[folder]:
            state["requested"][packed] = landing.fingerprints[packed]


def _hand_over(state: dict, landing: Landing, held: set[str]) -> dict[str, str]:
    """The files of the runs asked for before that the next one reads again (all but the held sources'): it
    answers for them now, as the latest run reading them."""
    handed = {}
    for run_key, asked in list(state["runs"].items()):
        kept = set(landing.claimed_by(list(asked["files"]), held))
        handed.update({p: f for p, f in asked["files"].items() if p not in kept})
        asked["files"] = {p: f for p, f in asked["files"].items() if p in kept}
        if not asked["files"]:
            del state["runs"][run_key]
    return handed


def ask_for(state: dict, landing: Landing, ready: list[str], held: set[str], now: float) -> str:
    """Follow a run asked for the `ready` files (and those it reads again) leaving out the `held` sources; its run
    key, chained to the last: the same files asked for again get a key Dagster has not seen."""
    files = {**_hand_over(state, landing, held), **{path: landing.fingerprints[path] for path in ready}}
    run_key = hashlib.sha256(json.dumps([files, state["run_key"]]).encode()).hexdigest()[:16]
    state["runs"][run_key] = {"files": files, "held": sorted(held), "at": now}
    kept = set(landing.claimed_by(list(state["requested"]), held))  # the held sources' files stay new
    state["requested"] = {
        **{path: f for path, f in landing.fingerprints.items() if not landing.sources.get(path, set()) & held},
        **{path: f for path, f in state["requested"].items() if path in kept},
    }
    state["run_key"] = run_key
    return run_key
