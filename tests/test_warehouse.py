import psycopg

from pipelines.warehouse import connection_parts, dbt_env, ensure_base_schema, sqlalchemy_url


def test_base_schema_is_idempotent(warehouse_url: str) -> None:
    ensure_base_schema(warehouse_url)
    ensure_base_schema(warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        schemas = {r[0] for r in conn.execute("select schema_name from information_schema.schemata")}
    assert {"raw", "audit", "identity"} <= schemas


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
