"""Steps the bench and the refresh tests share: a month of extracts, loaded file by file, then dbt."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipelines.contract import Contract
from pipelines.ingest import find_extracts
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import dbt_env


def month_extracts(contracts: dict[str, Contract], landing: Path, latest: bool) -> dict[str, list[Path]]:
    """Each source's files of its latest month (latest=True) or of every earlier month, oldest first."""
    found = {}
    for name, contract in contracts.items():
        paths = find_extracts(contract, landing)
        last = max((contract.period_of(p.name) or "" for p in paths), default="")
        if paths := [p for p in paths if ((contract.period_of(p.name) or "") == last) == latest]:
            found[name] = paths
    return found


def run_dbt(url: str, *args: str, target: Path | None = None) -> float:
    """Run one dbt command on the warehouse at `url` in its own process, as a steward would; its seconds.

    Its artefacts go to `target` when given, else to a folder removed afterwards (never the project's own).
    Like Dagster's dbt resource, which seeds each run's fresh target with the partial_parse.msgpack the code
    location's `dbt parse` wrote, every run starts from the parse state the previous one left: dbt re-reads
    only the files that changed rather than the whole project (and still all of it when the connection differs)."""
    project = PROJECT_ROOT / "dbt_project"
    path = target or Path(tempfile.mkdtemp(prefix="abord-dbt-"))
    if _PARSE_STATE.exists():
        shutil.copy(_PARSE_STATE, path / _PARSE_STATE.name)
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project)]
    command += ["--profiles-dir", str(project), "--target-path", str(path), "--quiet"]
    started = time.perf_counter()
    try:
        subprocess.run(command, check=True, env={**os.environ, **dbt_env(url)})
        if (state := path / _PARSE_STATE.name).exists():
            shutil.copy(state, _PARSE_STATE)
    finally:
        if target is None:
            shutil.rmtree(path, ignore_errors=True)
    return time.perf_counter() - started


_PARSE_STATE = Path(tempfile.mkdtemp(prefix="abord-dbt-parse-")) / "partial_parse.msgpack"
atexit.register(shutil.rmtree, _PARSE_STATE.parent, True)
