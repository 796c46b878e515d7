"""The dbt project as Dagster assets: staging to published, downstream of the ingestion assets."""

import os
import sys
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from orchestration.resources import AbordResource
from pipelines.settings import PROJECT_ROOT

DBT_PROJECT_DIR: Path = PROJECT_ROOT / "dbt_project"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def parse_dbt_project() -> None:
    """Write the manifest the assets are built from (partial parsing keeps this quick after the first time).

    In-process through dbtRunner, so it works whether or not the virtualenv's bin is on PATH.
    """
    from dbt.cli.main import dbtRunner

    args = ["parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    result = dbtRunner().invoke(args)
    if not result.success:
        raise RuntimeError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")


parse_dbt_project()


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT)
def abord_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, abord: AbordResource):
    # dbt reads its connection from the environment (profiles.yml); no secret is involved.
    os.environ.update(abord.dbt_env())
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # The dbt installed beside this Python, whatever PATH says.
    return DbtCliResource(project_dir=DBT_PROJECT, dbt_executable=str(Path(sys.executable).parent / "dbt"))
