"""The `abord` command line: generate sample extracts, run the pipeline, open the UIs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from orchestration.cli_pipelines import contracts_app, ingest, quarantine_app
from orchestration.cli_privacy import (
    forget_command,
    key_rotate_command,
    link_command,
    opposition_app,
    redact_command,
)
from pipelines.settings import PROJECT_ROOT, SettingsError, get_settings

app = typer.Typer(help="abord: Housing First partner data to shared indicators.", no_args_is_help=True)
key_app = typer.Typer(help="Manage the pseudonymisation key.", no_args_is_help=True)
app.add_typer(key_app, name="key")


@app.callback()
def check_settings() -> None:
    """abord: Housing First partner data to shared indicators."""
    try:  # a misset variable is named before any command starts work
        get_settings()
    except SettingsError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


app.command()(ingest)
app.add_typer(contracts_app, name="contracts")
app.add_typer(quarantine_app, name="quarantine")
app.command("link")(link_command)
app.command("redact")(redact_command)
app.command("forget")(forget_command)
app.add_typer(opposition_app, name="opposition")
key_app.command("rotate")(key_rotate_command)


@app.command()
def generate(
    persons: int = typer.Option(2000, help="Number of true persons to simulate."),
    seed: int = typer.Option(7, help="Random seed: the same seed writes the same files."),
    out: Path = typer.Option(None, help="Data root: writes OUT/landing and OUT/ground_truth (default: data dir)."),
    months: int = typer.Option(1, help="Monthly extracts to write, the last one as of the end of 2025."),
) -> None:
    """Write sample partner extracts (landing/) and their ground truth (ground_truth/, beside landing)."""
    from pipelines.sample.generate import generate as generate_sample

    summary = generate_sample(out or get_settings().data_dir, persons=persons, seed=seed, months=months)
    typer.echo(f"{summary.persons} persons, {len(summary.files)} files written")


@key_app.command("new")
def key_new() -> None:
    """Create the pseudonymisation key file (refuses to overwrite one)."""
    from pseudonymisation.keys import KeyFileError, new_key

    path = get_settings().key_file
    try:
        new_key(path)
    except KeyFileError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"key written to {path} (keep it secret, back it up, never commit it)")


def _refresh() -> None:
    from orchestration.instance import run_refresh
    from pipelines.pipeline import run_summary
    from pipelines.warehouse import database_url

    settings = get_settings()
    if not settings.key_file.exists():
        typer.echo(f"no pseudonymisation key at {settings.key_file}: create one with `abord key new`", err=True)
        raise typer.Exit(2)
    succeeded = run_refresh(settings)
    for line in run_summary(database_url(settings)).lines():
        typer.echo(line)
    if not succeeded:
        typer.echo("the refresh failed: see the Dagster logs above (`abord ui` shows the run)", err=True)
        raise typer.Exit(1)


@app.command()
def run() -> None:
    """Ingest every new partner extract and rebuild the indicators (the `refresh` job, in this process)."""
    _refresh()


# dbt commands that read no warehouse rows: they need not wait for a load
DBT_WITHOUT_ROWS = {"clean", "debug", "deps", "docs", "init", "list", "ls", "parse"}


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def dbt(context: typer.Context) -> None:
    """Run dbt on the warehouse in use, as `abord dbt build --select fct_x+`: the analyst's way to build models.

    It holds the writers' lock as the scheduled build does, so a load waits for it (one committing midway could
    delete rows of a period the build has still to read)."""
    from pipelines.warehouse import database_url, dbt_env
    from pipelines.writer_lock import held_for_a_build

    project = PROJECT_ROOT / "dbt_project"  # not orchestration.dbt's: importing it parses the project
    url = database_url(get_settings())
    env = {**os.environ, **dbt_env(url), "DBT_PROFILES_DIR": str(project)}
    command = [str(Path(sys.executable).parent / "dbt"), *context.args]
    if not context.args or context.args[0] in DBT_WITHOUT_ROWS:
        raise typer.Exit(subprocess.call(command, cwd=project, env=env))
    with held_for_a_build(url):
        code = subprocess.call(command, cwd=project, env=env)
    raise typer.Exit(code)


@app.command()
def demo(
    persons: int = typer.Option(2000, help="Number of simulated persons."),
    seed: int = typer.Option(7, help="Random seed."),
    serve: bool = typer.Option(True, help="Serve the dashboard once the pipeline has run."),
) -> None:
    """Generate sample extracts, create a key if none, run the pipeline and serve the dashboard."""
    settings = get_settings()
    generate(persons=persons, seed=seed, out=settings.data_dir, months=1)
    if not settings.key_file.exists():
        key_new()
    _refresh()
    if serve:
        dashboard()


def _with_database_url() -> dict[str, str]:
    from pipelines.warehouse import database_url

    return {**os.environ, "ABORD_DATABASE_URL": database_url(get_settings())}


@app.command()
def ui(port: int = typer.Option(3000, help="Port of the Dagster UI.")) -> None:
    """Open the Dagster UI (with schedules and sensors running) on the abord definitions."""
    from orchestration.instance import use_instance

    use_instance(get_settings())
    command = [sys.executable, "-m", "dagster", "dev", "-m", "orchestration.definitions", "-p", str(port)]
    raise typer.Exit(subprocess.call(command, cwd=PROJECT_ROOT, env=_with_database_url()))


@app.command()
def dashboard(port: int = typer.Option(8501, help="Port of the dashboard.")) -> None:
    """Serve the Streamlit dashboards on the published indicators."""
    app_file = PROJECT_ROOT / "dashboards" / "streamlit_app.py"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    raise typer.Exit(subprocess.call(command, cwd=PROJECT_ROOT, env=_with_database_url()))


@app.command("db-url")
def db_url() -> None:
    """Print the warehouse connection URL in use (starts the embedded server if needed)."""
    from pipelines.warehouse import database_url

    typer.echo(database_url(get_settings()))
