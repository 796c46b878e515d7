"""The dbt project's unit tests as its YAML declares them, checked without a warehouse: what dbt would only refuse
in a full build, where its unit tests run (test_monthly_refresh), not in a pipeline's (DBT_BUILD leaves them out)."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.settings import PROJECT_ROOT

MODELS = PROJECT_ROOT / "dbt_project" / "models"
POSTGRES_IDENTIFIER_LENGTH = 63  # NAMEDATALEN - 1


def _unit_test_names() -> list[tuple[Path, str]]:
    names = []
    for path in sorted(MODELS.rglob("*.yml")):
        properties = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        names += [(path, test["name"]) for test in properties.get("unit_tests") or []]
    return names


def test_every_unit_test_name_fits_a_postgresql_identifier() -> None:
    """dbt runs a unit test by making a table named after it: dbt-postgres refuses a name over 63 characters
    ('Relation name ... is longer than 63 characters'), a failure seen only when the unit tests run."""
    names = _unit_test_names()
    assert names, f"no unit test found under {MODELS}"
    too_long = [
        f"{path.relative_to(PROJECT_ROOT)}: {name} ({len(name)} characters)"
        for path, name in names
        if len(name) > POSTGRES_IDENTIFIER_LENGTH
    ]
    assert not too_long, f"unit test names over {POSTGRES_IDENTIFIER_LENGTH} characters: {too_long}"
