"""The dbt project as Dagster assets: staging to published, downstream of the ingestion assets."""

import os
import sys
from pathlib import Path

from dagster import AssetExecutionContext, Failure
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets
from dbt.contracts.graph.manifest import Manifest

from orchestration.resources import AbordResource
from pipelines.settings import PROJECT_ROOT, get_settings
from pipelines.warehouse import DBT_BUILD, database_url, dbt_env
from pipelines.writer_lock import held_for_a_build

DBT_PROJECT_DIR: Path = PROJECT_ROOT / "dbt_project"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
BUILT_RESOURCE_TYPES = ("model", "seed", "snapshot", "test")


def parse_dbt_project() -> Manifest:
    """Write the manifest the assets are built from (partial parsing keeps this quick after the first time).

    In-process through dbtRunner, so it works whether or not the virtualenv's bin is on PATH.
    """
    from dbt.cli.main import dbtRunner

    args = ["parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
    return result.result


def built_nodes(manifest: Manifest) -> frozenset[str]:
    """The unique ids of what `dbt build` runs: each yields an event dagster-dbt looks up in the loaded manifest."""
    return frozenset(uid for uid, node in manifest.nodes.items() if node.resource_type in BUILT_RESOURCE_TYPES)


def known_dbt_env() -> dict[str, str]:
    """dbt's connection to the warehouse when it is known without starting anything: a configured URL, or the
    embedded server already running. Parsing under it lets the first build reuse this parse."""
    settings = get_settings()
    if settings.database_url or (settings.pgdata_dir / "postmaster.pid").exists():
        return dbt_env(database_url(settings))
    return {}


os.environ.update(known_dbt_env())
LOADED_NODES = built_nodes(parse_dbt_project())


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT)
def abord_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, abord: AbordResource):
    # dbt reads its connection from the environment (profiles.yml); no secret is involved. Parsing again with it
    # set writes the parse state the build starts from: dbt discards a state parsed under another connection
    # (as when the code location loaded before the warehouse was known) and would re-read every project file.
    os.environ.update(abord.dbt_env())
    added = sorted(built_nodes(parse_dbt_project()) - LOADED_NODES)
    if added:  # dagster-dbt would fail on a new node's event with a bare KeyError, dbt left building alone
        raise Failure(
            f"the dbt project has changed since this code location loaded it (new: {', '.join(added)}): reload"
            " the code location (Deployment > Reload in the Dagster UI, or restart `abord ui`), then run again"
        )
    with held_for_a_build(abord.url()):  # a manual load waits: it could delete rows the build has still to read
        yield from dbt.cli(list(DBT_BUILD), context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt installed beside this Python, whatever PATH says.
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(Path(sys.executable).parent / "dbt"))
