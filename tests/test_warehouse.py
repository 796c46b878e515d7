from concurrent.futures import ThreadPoolExecutor

import psycopg

from pipelines.contract import load_contracts
from pipelines.pipeline import ensure_raw_tables
from pipelines.warehouse import connection_parts, dbt_env, ensure_base_schema, sqlalchemy_url


def test_base_schema_is_idempotent(warehouse_url: str) -> None:
    ensure_base_schema(warehouse_url)
    ensure_base_schema(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        schemas = {r[0] for r in conn.execute("select schema_name from information_schema.schemata")}
    assert {"raw", "audit", "identity"} <= schemas


def test_ingestion_steps_starting_together_on_a_new_warehouse_make_its_tables_once(warehouse_url: str) -> None:
    """Dagster runs sources' ingestion side by side: each makes the tables it needs. PostgreSQL's `if not exists`
    does not hold between sessions creating the same table at once (unique violation in pg_type)."""
    contracts = load_contracts()
    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(ensure_raw_tables, warehouse_url, contracts) for _ in range(4)]:
            done.result()
    with psycopg.connect(warehouse_url) as conn:
        triggers = conn.execute("select count(*) from pg_trigger where tgname like '%_row_version'").fetchone()[0]
    assert triggers == sum(c.load == "append" for c in contracts.values())


def test_socket_urls_translate_for_each_client() -> None:
    url = "postgresql://postgres:@/abord?host=/tmp/pg/data"
    assert connection_parts(url) == {
        "host": "/tmp/pg/data",
        "port": "5432",
        "user": "postgres",
        "password": "",
        "dbname": "abord",
    }
    assert dbt_env("postgresql://u:p%40ss@db.example:6543/w")["ABORD_PG_PASSWORD"] == "p@ss"
    assert sqlalchemy_url(url).startswith("postgresql+psycopg://")


def test_dbt_sessions_sort_in_memory_unless_the_steward_sets_options(warehouse_url: str, monkeypatch) -> None:
    monkeypatch.delenv("PGOPTIONS", raising=False)
    monkeypatch.setenv("PGOPTIONS", dbt_env(warehouse_url)["PGOPTIONS"])  # as dbt's connections read it
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("show work_mem").fetchone()[0] == "64MB"
    monkeypatch.setenv("PGOPTIONS", "-c statement_timeout=5min")
    assert dbt_env(warehouse_url)["PGOPTIONS"] == "-c statement_timeout=5min"
