"""The notes the landing sensor adds to its skip reason, for the steward watching it in the Dagster UI: what waits,
for what, since when, and what to do about it. Each is empty when there is nothing to say."""

from datetime import UTC, datetime

from dagster import DagsterInstance, SensorEvaluationContext

from orchestration.landing import Landing
from orchestration.sensor_state import run_record

_ONCE_CHANGED = "once one changes (or by a refresh started by hand)"


def shown(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def failed_note(state: dict, current: dict[str, str]) -> str:
    """The files of failed runs, backing off, then of each canceled or deleted run, waiting for a change."""
    failed, notes = state["failed"], []
    if files := _still(failed, current):
        when = f"in {failed['wait']} tick(s)" if failed["wait"] else _ONCE_CHANGED
        notes.append(
            f"; the refresh failed {state['failures']} time(s) in a row (run {failed['run']}):"
            f" {len(files)} file(s) asked for again {when}: {shown(files)}"
        )
    for canceled in state["canceled"]:
        if files := _still(canceled, current):
            how = "was deleted before it ended (in the Dagster UI?)" if canceled.get("deleted") else "was canceled"
            notes.append(
                f"; run {canceled['run']} {how}: {len(files)} file(s) asked for again {_ONCE_CHANGED}: {shown(files)}"
            )
    return "".join(notes)


def _still(entry: dict | None, current: dict[str, str]) -> list[str]:
    """The files of a failed or canceled run still in landing as it read them."""
    return sorted(p for p, f in (entry or {}).get("files", {}).items() if current.get(p) == f)


def refused_note(landing: Landing) -> str:
    """The export folders the runs refuse, loading nothing of them, until the steward puts them right."""
    if not landing.refused:
        return ""
    return "; refused by the runs, nothing of it loaded, until put right: " + "; ".join(
        landing.refused[p] for p in sorted(landing.refused)
    )


def empty_note(landing: Landing) -> str:
    """The export folders made before their export was copied in: named, or the tick waiting for them looks idle."""
    if not landing.empty:
        return ""
    return (
        f"; {len(landing.empty)} export folder(s) holding no CSV file yet, waited for until an export is copied in:"
        f" {shown(sorted(landing.empty))}"
    )


def _since(started: float, now: float) -> str:
    minutes = int(now - started) // 60
    took = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    return f"for {took} (since {datetime.fromtimestamp(started, UTC):%Y-%m-%d %H:%M} UTC)"


def changing_note(state: dict, now: float) -> str:
    """The files that changed at every tick since an earlier one: a stuck upload, a partner writing for ever."""
    long = sorted((since, path) for path, since in state["changing"].items() if since < now)
    if not long:
        return ""
    return "; still changing: " + ", ".join(f"{path} {_since(since, now)}" for since, path in long)


def running_note(context: SensorEvaluationContext, state: dict, now: float) -> str:
    """The runs whose end their files' follow-up waits for (asked for again if it fails): a run whose process died
    stays STARTED, quietly, holding the queue too, until run monitoring ends it."""
    notes = []
    for run_key, asked in state["runs"].items():
        if record := run_record(context, run_key):
            run, since = record.dagster_run, record.start_time or record.create_timestamp.timestamp()
            files = len(asked["files"])
            notes.append(f"run {run.run_id[:8]}, {run.status.value} {_since(since, now)}, for its {files} file(s)")
    if not notes:
        return ""
    return f"; waiting for the end of {'; '.join(notes)} to follow them up ({_dead_run(context.instance)})"


def _dead_run(instance: DagsterInstance) -> str:
    """What becomes of a run whose process died, under the instance's run monitoring (abord's ends it)."""
    limit = instance.run_monitoring_max_runtime_seconds if instance.run_monitoring_enabled else 0
    if not limit:
        return "a run whose process is gone stays STARTED: terminate it in the Dagster UI"
    return (
        f"a run whose process died is ended once it has run {limit / 3600:g} h: terminate it in the Dagster UI not to"
        " wait"
    )
