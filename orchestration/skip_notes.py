"""The notes the landing sensor adds to its skip reason, for the steward watching it in the Dagster UI: what waits,
for what, since when, and what to do about it. Each is empty when there is nothing to say."""

from datetime import UTC, datetime

from dagster import SensorEvaluationContext

from orchestration.landing import Landing
from orchestration.sensor_state import run_record


def shown(paths: list[str]) -> str:
    return ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")


def failed_note(state: dict, current: dict[str, str]) -> str:
    failed = state["failed"]
    files = sorted(p for p, f in (failed or {}).get("files", {}).items() if current.get(p) == f)
    if not files:
        return ""
    when = f"in {failed['wait']} tick(s)" if failed["wait"] else "once one changes (or by a refresh started by hand)"
    if failed.get("deleted"):
        return (
            f"; run {failed['run']} was deleted before it ended (in the Dagster UI?): {len(files)} file(s) asked for"
            f" again {when}: {shown(files)}"
        )
    if failed.get("canceled"):
        return f"; run {failed['run']} was canceled: {len(files)} file(s) asked for again {when}: {shown(files)}"
    return (
        f"; the refresh failed {state['failures']} time(s) in a row (run {failed['run']}):"
        f" {len(files)} file(s) asked for again {when}: {shown(files)}"
    )


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
