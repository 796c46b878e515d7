"""A new month of extracts, then an erasure: each incremental refresh gives exactly what a full rebuild gives.
And the warehouse documents itself: `dbt docs generate` describes every published column."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import time
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from pipelines.contract import load_contracts
from pipelines.erasure import forget
from pipelines.identity_store import ensure_rights_schema
from pipelines.ingest import find_extracts, ingest_file
from pipelines.pipeline import ensure_raw_tables, ingest_context
from pipelines.sample.generate import generate
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.warehouse import DBT_BUILD
from pseudonymisation.keys import new_key
from pseudonymisation.link_keys import record_key
from tests.conftest import create_database
from tests.warehouse_steps import month_extracts, run_dbt

PERSONS = 150
MODELS_DIR = PROJECT_ROOT / "dbt_project" / "models"
INCREMENTAL_STAGING = sorted(
    path.stem
    for path in (MODELS_DIR / "staging").rglob("*.sql")
    if re.search(r"materialized\s*=\s*'incremental'", path.read_text(encoding="utf-8"))
)


def _tables(url: str, schemas: tuple[str, ...]) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_schema = any(%s) and table_type = 'BASE TABLE' order by 1",
            (list(schemas),),
        ).fetchall()
    return [name for (name,) in rows]


def _differences(url: str, tables: list[str]) -> dict[str, int]:
    """Rows each table holds that its copy in schema `kept` lacks, or the reverse (duplicates counted), column by
    column whatever their order (a table upgraded in place gains its new columns last)."""
    found = {}
    with psycopg.connect(url) as conn:
        for table in tables:
            kept = "kept." + table.replace(".", "__")
            columns = ", ".join(c.name for c in conn.execute(f"select * from {kept} limit 0").description)
            here, there = f"select {columns} from {table}", f"select {columns} from {kept}"
            sql = (
                f"select (select count(*) from ({here} except all {there}) a)"
                f" + (select count(*) from ({there} except all {here}) b)"
            )
            found[table] = conn.execute(sql).fetchone()[0]
    return found


def _keep(url: str, tables: list[str]) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("drop schema if exists kept cascade; create schema kept")
        for table in tables:
            conn.execute(f"create table kept.{table.replace('.', '__')} as select * from {table}")


def _empty_warehouse(data: Path, pg_admin_url: str, **sample) -> SimpleNamespace:
    """A sample of PERSONS generated under `data` (`sample`: generate's as_of, months), and a warehouse with
    nothing loaded yet."""
    generate(data, persons=PERSONS, seed=5, **sample)
    new_key(data / "abord.key")
    url = create_database(pg_admin_url)
    contracts = load_contracts()
    ensure_raw_tables(url, contracts)
    ctx = ingest_context(Settings(data_dir=data, key_file=data / "abord.key", database_url=url), url)
    return SimpleNamespace(url=url, contracts=contracts, ctx=ctx, landing=data / "landing")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str):
    built = _empty_warehouse(tmp_path_factory.mktemp("monthly"), pg_admin_url, months=2)
    for latest in (False, True):
        for name, paths in month_extracts(built.contracts, built.landing, latest).items():
            for path in paths:
                ingest_file(built.ctx, built.contracts[name], path)
        # The first month builds from nothing; the second refreshes incrementally. A whole `build`: dbt's unit
        # tests run here, where pipeline runs leave them out (DBT_BUILD).
        run_dbt(built.url, "build")
    return built


def _assert_refresh_equals_rebuild(url: str) -> None:
    tables = _tables(url, ("staging", "intermediate", "marts", "published"))
    _keep(url, tables)
    run_dbt(url, "build", "--full-refresh")
    assert _differences(url, tables) == dict.fromkeys(tables, 0)


def test_the_large_event_tables_are_incremental() -> None:
    large = {"stg_shelter__nights", "stg_housing__support_contacts", "stg_health__encounters"}
    assert large <= set(INCREMENTAL_STAGING)


def test_a_new_month_refreshes_to_what_a_full_rebuild_gives(warehouse) -> None:
    _assert_refresh_equals_rebuild(warehouse.url)


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("staging.stg_shelter__nights", ["night_ref"]),
        ("marts.fct_service_use", ["person_key", "measure", "window_name"]),
        ("marts.fct_housing_quarters", ["person_key", "quarter"]),
        ("marts.fct_lease_quarters", ["lease_ref", "quarter"]),
        ("marts.fct_landlord_relation_quarters", ["person_key", "quarter"]),
        ("marts.fct_peer_support_quarters", ["person_key", "quarter"]),
    ],
)
def test_the_tables_keeping_their_rows_refuse_a_duplicate_or_missing_key_and_their_tests_check_the_guard(
    warehouse, tmp_path: Path, table: str, key: list[str]
) -> None:
    """Their keys are held by PostgreSQL rather than re-read by unique and not_null tests every build: the large
    staging tables and the marts refreshed person by person, which a refresh only adds rows to."""
    guard_test = f"enforced_unique_{table.split('.')[1]}_{'__'.join(key)}"
    run_dbt(warehouse.url, "compile", "--select", guard_test, target=tmp_path)
    (compiled,) = tmp_path.glob("compiled/**/*.sql")  # dbt names the file by a hash when the test's name is long
    guard_failures = compiled.read_text(encoding="utf-8")
    with psycopg.connect(warehouse.url) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute(f"insert into {table} select * from {table} limit 1")
        with pytest.raises(psycopg.errors.NotNullViolation) as missing, conn.transaction():
            conn.execute(f"insert into {table} ({key[0]}) values (null)")
        assert missing.value.diag.column_name == key[0]
        with conn.transaction(force_rollback=True):  # without the unique index, the test of the guard fails
            conn.execute(f'drop index {table.split(".")[0]}."{_unique_index(conn, table)}"')
            assert conn.execute(guard_failures).fetchall() == [(", ".join(key),)]
        assert conn.execute(guard_failures).fetchall() == []


@pytest.mark.parametrize(
    ("source", "undeclare", "failing"),
    [
        (
            "shelter.shelter_nights",
            "alter table raw.shelter_nights alter column record_ref drop not null",
            "record_ref",
        ),
        ("audit.batches", "alter table audit.batches drop constraint batches_pkey cascade", "batch_id"),
    ],
)
def test_the_tests_of_a_source_check_what_its_table_declares(
    warehouse, tmp_path: Path, source: str, undeclare: str, failing: str
) -> None:
    """A raw table's record reference is NOT NULL, and the ledger's batch id its primary key, in their DDL: the
    sources' tests check those declarations, where not_null and unique tests re-read raw tables of millions of
    rows every build."""
    run_dbt(warehouse.url, "compile", "--select", f"source:{source}", target=tmp_path)
    checks = [path.read_text(encoding="utf-8") for path in tmp_path.glob("compiled/**/*.sql")]
    with psycopg.connect(warehouse.url) as conn:
        assert checks and [row for check in checks for row in conn.execute(check)] == []
        with conn.transaction(force_rollback=True):
            conn.execute(undeclare)
            assert [row for check in checks for row in conn.execute(check)] == [(failing,)]


def test_every_not_null_constraint_is_held_by_its_table(warehouse, tmp_path: Path) -> None:
    """A column whose yml gives it a not_null constraint is NOT NULL in the warehouse, in every layer: PostgreSQL
    refuses a null when the model is built, where a not_null test per column re-read each table every build."""
    run_dbt(warehouse.url, "parse", target=tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    declared = {
        (node["schema"], node["alias"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
        if any(constraint["type"] == "not_null" for constraint in column["constraints"])
    }
    with psycopg.connect(warehouse.url) as conn:
        nullable = dict(
            ((schema, table, column), is_nullable == "YES")
            for schema, table, column, is_nullable in conn.execute(
                "select table_schema, table_name, column_name, is_nullable from information_schema.columns"
            )
        )
        with pytest.raises(psycopg.errors.NotNullViolation), conn.transaction():
            conn.execute("insert into marts.fct_housing_quarters (person_key) values (null)")
    assert {schema for schema, _, _ in declared} == {"staging", "intermediate", "marts", "published"}
    assert [name for name in sorted(declared) if nullable.get(name, True)] == []


@pytest.mark.parametrize("model", ["int_participants_exited", "int_participants_moved_on"])
def test_another_tenancy_running_is_an_anti_join_not_a_scan_per_tenancy(warehouse, tmp_path: Path, model) -> None:
    """The EXISTS of another_tenancy_runs_on_its_end must be planned as a join: under an OR (a death excepted) it
    became a subplan re-scanning every tenancy for each one, quadratic (10 s of a 46 s rebuild at 10,000 persons)."""
    run_dbt(warehouse.url, "compile", "--select", model, target=tmp_path)
    (compiled,) = tmp_path.glob(f"compiled/**/{model}.sql")
    with psycopg.connect(warehouse.url) as conn:
        plan = "\n".join(row[0] for row in conn.execute("explain " + compiled.read_text(encoding="utf-8")))
    assert "SubPlan" not in plan, plan


def _unique_index(conn: psycopg.Connection, table: str) -> str:
    schema, name = table.split(".")
    sql = "select indexname from pg_indexes where schemaname = %s and tablename = %s and indexdef like %s"
    return conn.execute(sql, (schema, name, "CREATE UNIQUE%")).fetchone()[0]


def test_docs_describe_every_published_column(warehouse, tmp_path: Path) -> None:
    run_dbt(warehouse.url, "docs", "generate", target=tmp_path)
    catalog = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    published = {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed") and node["schema"] == "published"
    }
    assert len(published) >= 3, "indicator values, curve and catalogue at least"
    undocumented = [
        f"{node['name']}.{column}"
        for node_id, node in published.items()
        for column in catalog["nodes"][node_id]["columns"]
        if not node["columns"].get(column, {}).get("description", "").strip()
    ]
    assert undocumented == []
    assert all(node["description"].strip() for node in published.values())


def test_an_erased_person_leaves_every_model_at_the_next_incremental_refresh(warehouse) -> None:
    url = warehouse.url
    with psycopg.connect(url) as conn:
        # Someone with records in each incremental table, so each has rows to drop.
        (person,) = conn.execute(
            "select person_key from staging.stg_shelter__nights"
            " intersect select person_key from staging.stg_housing__support_contacts limit 1"
        ).fetchone()
        keys = {k for (k,) in conn.execute("select link_key from identity.link_keys where person_key = %s", (person,))}
        with conn.cursor() as cur:
            ensure_rights_schema(cur)
            person_tables = [c.raw_table for c in warehouse.contracts.values() if c.is_person_level]
            assert forget(cur, keys, person_tables, requested=1).persons == 1
    run_dbt(url, "build")
    with psycopg.connect(url) as conn:
        # and the log of changed persons the build read (the marts refreshed person by person)
        for table in [*_tables(url, ("staging", "intermediate", "marts")), "raw.person_changes"]:
            columns = {c.name for c in conn.execute(f"select * from {table} limit 0").description}
            if "person_key" in columns:
                hits = conn.execute(f"select count(*) from {table} where person_key = %s", (person,)).fetchone()[0]
                assert hits == 0, f"{table} still holds the erased person"
    _assert_refresh_equals_rebuild(url)


def _run_results(target: Path) -> dict[str, dict]:
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"].split(".")[-1]: r for r in results}


def test_a_refresh_stages_only_the_rows_written_since_and_a_rewritten_person_key_reaches_staging(warehouse) -> None:
    """A merge rewrites the person key of rows loaded months ago: the refresh finds them by their row version."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        night, person = conn.execute(
            "select record_ref, person_key from raw.shelter_nights order by batch_id, source_row limit 1"
        ).fetchone()
        (other,) = conn.execute(
            "select person_key from raw.shelter_nights where person_key <> %s limit 1", (person,)
        ).fetchone()
    for key in (other, person):  # and back, leaving the warehouse as the other tests expect it
        with psycopg.connect(url) as conn:
            conn.execute("update raw.shelter_nights set person_key = %s where record_ref = %s", (key, night))
        _, inserted, deleted = _refresh_cost(url)
        assert (inserted, deleted) == (1, 1)  # its old version out, the new one in: nothing else
        with psycopg.connect(url) as conn:
            staged = "select person_key from staging.stg_shelter__nights where night_ref = %s"
            assert conn.execute(staged, (night,)).fetchone() == (key,)


def test_a_record_sent_in_two_months_stops_the_refresh_with_a_message(warehouse, tmp_path: Path) -> None:
    """An append source's months must not repeat a record: the table could not match its source row for row."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        first, last, row = conn.execute(
            "select min(batch_id), max(batch_id), (select max(source_row) + 1 from raw.shelter_nights"
            " where batch_id = (select max(batch_id) from raw.shelter_nights)) from raw.shelter_nights"
        ).fetchone()
        assert first != last, "nights of two months"
        columns = [
            c.name
            for c in conn.execute("select * from raw.shelter_nights limit 0").description
            if c.name not in ("batch_id", "source_row", "row_version")
        ]
        listed = ", ".join(columns)
        conn.execute(  # a night of the first month again in the last month's file
            f"insert into raw.shelter_nights (batch_id, source_row, {listed})"
            f" select %s, %s, {listed} from raw.shelter_nights where batch_id = %s limit 1",
            (last, row, first),
        )
    with pytest.raises(subprocess.CalledProcessError):
        run_dbt(url, "build", "--select", "stg_shelter__nights", target=tmp_path)
    assert "is a record in the files of two months?" in _run_results(tmp_path)["stg_shelter__nights"]["message"]
    with psycopg.connect(url) as conn:
        conn.execute("delete from raw.shelter_nights where (batch_id, source_row) = (%s, %s)", (last, row))
    run_dbt(url, "build", "--select", "stg_shelter__nights")


def test_a_staging_table_built_before_row_versions_restages_itself_at_the_next_refresh(warehouse) -> None:
    """A warehouse upgraded from before row versions needs no --full-refresh: the column is added and filled."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        conn.execute("alter table staging.stg_shelter__nights drop column row_version")
    run_dbt(url, "build", "--select", "stg_shelter__nights")
    with psycopg.connect(url) as conn:
        staged, versioned = conn.execute(
            "select count(*), count(raw.row_version) from staging.stg_shelter__nights as staged"
            " left join raw.shelter_nights as raw"
            " on raw.record_ref = staged.night_ref and raw.row_version = staged.row_version"
        ).fetchone()
        assert staged == versioned == conn.execute("select count(*) from raw.shelter_nights").fetchone()[0]


def test_a_staging_table_emptied_by_a_crash_restages_itself_at_the_next_refresh(warehouse) -> None:
    """The large staging tables skip the write-ahead log, so a crash leaves them empty (as truncate does)."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        persistence = conn.execute(
            "select relname, relpersistence from pg_class"
            " where relnamespace = 'staging'::regnamespace and relname = any(%s)",
            (INCREMENTAL_STAGING,),
        ).fetchall()
        assert dict(persistence) == dict.fromkeys(INCREMENTAL_STAGING, "u")
        conn.execute("truncate staging.stg_shelter__nights")
    run_dbt(url, "build", "--select", "stg_shelter__nights")
    with psycopg.connect(url) as conn:
        staged = conn.execute("select count(*) from staging.stg_shelter__nights").fetchone()[0]
        current = conn.execute(
            "select count(*) from raw.shelter_nights"
            " where batch_id in (select batch_id from audit.current_batches where source = 'shelter_nights')"
        ).fetchone()[0]
        assert staged == current > 0


def _current_refs(url: str) -> tuple[set[str], set[str]]:
    """The night references staging holds, and those of the source's current rows."""
    with psycopg.connect(url) as conn:
        staged = {r for (r,) in conn.execute("select night_ref from staging.stg_shelter__nights")}
        current = conn.execute(
            "select record_ref from raw.shelter_nights"
            " where batch_id in (select batch_id from audit.current_batches where source = 'shelter_nights')"
        )
        return staged, {r for (r,) in current}


def test_a_re_sent_month_without_a_record_takes_it_out_of_staging_at_the_refresh(warehouse, tmp_path: Path) -> None:
    """The month's file again, less one record: its earlier rows are deleted and the file's loaded in their place."""
    url, contract = warehouse.url, warehouse.contracts["shelter_nights"]
    (latest,) = month_extracts(warehouse.contracts, warehouse.landing, latest=True)["shelter_nights"]
    header, *lines = latest.read_text(encoding="utf-8").splitlines(keepends=True)
    staged, _ = _current_refs(url)
    dropped = next(
        line
        for line in lines
        if record_key(warehouse.ctx.key, contract.name, next(csv.reader([line], delimiter=";"))[0]) in staged
    )
    (tmp_path / latest.name).write_text(header + "".join(line for line in lines if line != dropped), encoding="utf-8")
    ingest_file(warehouse.ctx, contract, tmp_path / latest.name)
    staged, current = _current_refs(url)
    assert len(staged - current) == 1, "the dropped record, staged, left the source"
    run_dbt(url, "run", "--select", "stg_shelter__nights")
    assert _current_refs(url) == (current, current)


def test_a_record_whose_reference_is_rewritten_leaves_under_its_old_one(warehouse) -> None:
    """A key rotation rewrites every reference in place: the staged rows under the old ones must go."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        conn.execute(
            "update raw.shelter_nights set record_ref = record_ref || '-rotated'"
            " where record_ref = (select min(record_ref) from raw.shelter_nights)"
        )
    run_dbt(url, "run", "--select", "stg_shelter__nights")
    staged, current = _current_refs(url)
    assert staged == current


def _counters(url: str, sql: str) -> tuple[int, ...]:
    """PostgreSQL's counters `sql` reads, once dbt's sessions have ended (a session reports them as it ends)."""
    with psycopg.connect(url, autocommit=True) as conn:
        sessions = (
            "select count(*) from pg_stat_activity where datname = current_database()"
            " and backend_type = 'client backend' and pid <> pg_backend_pid()"
        )
        while conn.execute(sessions).fetchone()[0]:
            time.sleep(0.1)
        return conn.execute(sql).fetchone()


def _refresh_cost(url: str) -> tuple[int, int, int]:
    """Rows a refresh of stg_shelter__nights reads from its source (table and indexes), inserts and deletes."""
    sql = (
        "select t.seq_tup_read + (select sum(idx_tup_read) from pg_stat_user_indexes where relid = t.relid),"
        " s.n_tup_ins, s.n_tup_del from pg_stat_user_tables as t, pg_stat_user_tables as s"
        " where t.relid = 'raw.shelter_nights'::regclass and s.relid = 'staging.stg_shelter__nights'::regclass"
    )
    before = _counters(url, sql)
    run_dbt(url, "run", "--select", "stg_shelter__nights")
    return tuple(now - then for now, then in zip(_counters(url, sql), before, strict=True))


def test_a_refresh_costs_what_changed_not_what_the_table_holds(warehouse) -> None:
    """With nothing new, a refresh writes no row and reads next to none of its source (the planner looks at the
    ends of the row_version index); after an erasure it deletes the erased rows and reads no more (before, it
    counted the table and the source's current rows every time)."""
    url = warehouse.url
    with psycopg.connect(url) as conn:
        conn.execute("analyze raw.shelter_nights")  # the planner then knows how few rows are new
        (source_rows,) = conn.execute("select count(*) from raw.shelter_nights").fetchone()
    run_dbt(url, "run", "--select", "stg_shelter__nights")
    read, inserted, deleted = _refresh_cost(url)
    assert read < source_rows / 100
    assert (inserted, deleted) == (0, 0)
    with psycopg.connect(url) as conn:
        person, nights = conn.execute(
            "select person_key, count(*) from staging.stg_shelter__nights group by 1 order by 2 desc limit 1"
        ).fetchone()
        keys = {k for (k,) in conn.execute("select link_key from identity.link_keys where person_key = %s", (person,))}
        with conn.cursor() as cur:
            ensure_rights_schema(cur)
            person_tables = [c.raw_table for c in warehouse.contracts.values() if c.is_person_level]
            forget(cur, keys, person_tables, requested=1)
    read, inserted, deleted = _refresh_cost(url)
    assert read < source_rows / 100
    assert (inserted, deleted) == (0, nights)


def _last_analyzed(url: str, tables: list[str]) -> tuple:
    """When an ANALYZE command last ran on each of `tables` (autovacuum's are counted apart)."""
    stamps = ", ".join(f"(select last_analyze from pg_stat_user_tables where relid = '{t}'::regclass)" for t in tables)
    return _counters(url, f"select {stamps}")


def test_a_refresh_analyzes_a_table_built_whole_and_an_incremental_one_once_a_tenth_of_it_is_written(
    warehouse,
) -> None:
    """Analysing each large incremental table at every refresh (0.4-0.7 s each at 30k persons) for a few percent
    of new rows changed no plan: a refresh writing nothing leaves their statistics as they were, one rewriting a
    whole mart (no record of what it read) analyzes it, and a table rebuilt whole is analyzed every time."""
    url = warehouse.url
    tables = ["staging.stg_shelter__nights", "marts.fct_service_use", "intermediate.int_participants_entered"]
    run_dbt(url, *DBT_BUILD)  # what the tests before left to refresh
    nights, use, entered = _last_analyzed(url, tables)
    run_dbt(url, "run", "--select", "stg_shelter__nights", "fct_service_use", "int_participants_entered")
    after = _last_analyzed(url, tables)
    assert after[:2] == (nights, use)
    assert after[2] > entered
    with psycopg.connect(url) as conn:
        conn.execute("delete from raw.person_change_readers where model = 'fct_service_use'")
    run_dbt(url, "run", "--select", "fct_service_use")
    assert _last_analyzed(url, tables)[1] > use


def test_a_staging_table_built_before_the_departures_log_matches_its_source_at_the_next_refresh(warehouse) -> None:
    """A row deleted before the log existed went unrecorded: the log opens with a mark, and the refresh that finds
    it matches the table against the source's current rows, once."""
    url = warehouse.url
    with psycopg.connect(url) as conn:  # as before this change: no departures logged
        conn.execute("drop trigger shelter_nights_deleted on raw.shelter_nights")
        conn.execute("drop trigger shelter_nights_rewritten on raw.shelter_nights")
        conn.execute(
            "delete from raw.shelter_nights where row_version = (select min(row_version) from raw.shelter_nights)"
        )
    ensure_raw_tables(url, warehouse.contracts)  # as the next load or command does
    run_dbt(url, "run", "--select", "stg_shelter__nights")
    staged, current = _current_refs(url)
    assert staged == current


def _rewritten(url: str, table: str) -> tuple[int, int]:
    """Rows a build inserts into and deletes from `table`."""
    sql = f"select n_tup_ins, n_tup_del from pg_stat_user_tables where relid = '{table}'::regclass"
    before = _counters(url, sql)
    run_dbt(url, *DBT_BUILD)
    return tuple(now - then for now, then in zip(_counters(url, sql), before, strict=True))


def test_a_refresh_recomputes_the_service_use_of_the_persons_whose_events_changed_alone(warehouse) -> None:
    """With nothing new no row of fct_service_use is rewritten; a custody withdrawn from the justice snapshot, or
    a shelter night from its month, rewrites that person's rows alone; a mart with no record of what it read (a
    warehouse upgraded) recomputes every person once. Each time it is what a full rebuild gives, and the log of
    changed persons is left empty."""
    url = warehouse.url
    run_dbt(url, *DBT_BUILD)  # what the tests before left to refresh
    assert _rewritten(url, "marts.fct_service_use") == (0, 0)
    withdrawals = {
        "justice_events": "select event_ref, start_date from staging.stg_justice__events"
        " where person_key = %s and event_type = 'garde_a_vue'",
        "shelter_nights": "select night_ref, night_date from staging.stg_shelter__nights where person_key = %s",
    }
    for source, events in withdrawals.items():
        with psycopg.connect(url) as conn:
            person, ref, rows = next(
                (person, ref, rows)
                for person, start, end, rows in conn.execute(
                    "select person_key, min(window_start), max(window_end),"
                    " (select count(*) from marts.fct_service_use as held where held.person_key = use.person_key)"
                    " from marts.fct_service_use as use where source = %s group by person_key order by person_key",
                    (source,),
                )
                for ref, day in conn.execute(events, (person,)).fetchall()
                if start <= day < end
            )
            conn.execute(f"delete from raw.{source} where record_ref = %s", (ref,))
        assert _rewritten(url, "marts.fct_service_use") == (rows, rows), source
    with psycopg.connect(url) as conn:
        conn.execute("delete from raw.person_change_readers where model = 'fct_service_use'")
        (held,) = conn.execute("select count(*) from marts.fct_service_use").fetchone()
    assert _rewritten(url, "marts.fct_service_use") == (held, held)
    _assert_refresh_equals_rebuild(url)
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from raw.person_changes").fetchone() == (0,)


def _latest_quarters_rewritten(url: str, table: str) -> tuple[int, str]:
    """A refresh with nothing new rewrites the rows of the latest quarters alone (the end of observation may have
    grown into them), fewer than the table holds: their count and the first of those quarters."""
    run_dbt(url, *DBT_BUILD)  # what the tests before left to refresh
    inserted, deleted = _rewritten(url, table)
    with psycopg.connect(url) as conn:
        since, tail, total = conn.execute(
            f"with tails as (select quarter, sum(count(*)) over (order by quarter desc) as tail from {table}"
            " group by quarter)"
            f" select min(quarter) filter (where tail <= %s), max(tail) filter (where tail <= %s),"
            f" (select count(*) from {table}) from tails",
            (deleted, deleted),
        ).fetchone()
    assert inserted == deleted == tail and 0 < deleted < total
    return deleted, since


def _quarter_of(day: str) -> str:
    """The reporting quarter of the date `day` as the marts label it (quarter_label), in SQL."""
    return f"to_char({day}, 'YYYY-\"Q\"Q')"


def test_a_refresh_recomputes_the_latest_lease_quarters_and_the_leases_of_a_tenant_whose_leases_changed(
    warehouse,
) -> None:
    """A lease withdrawn from the landlords' file rewrites its tenant's quarters too, that lease's gone: what a
    full rebuild gives."""
    url, table = warehouse.url, "marts.fct_lease_quarters"
    latest, since = _latest_quarters_rewritten(url, table)
    with psycopg.connect(url) as conn:
        person, lease = conn.execute(
            f"select person_key, lease_ref from {table} where quarter < %s order by lease_ref limit 1", (since,)
        ).fetchone()
        earlier, of_lease = conn.execute(
            f"select count(*) filter (where quarter < %s), count(*) filter (where lease_ref = %s)"
            f" from {table} where person_key = %s",
            (since, lease, person),
        ).fetchone()
        conn.execute("delete from raw.landlord_leases where record_ref = %s", (lease,))
    assert _rewritten(url, table) == (latest + earlier - of_lease, latest + earlier)
    _assert_refresh_equals_rebuild(url)


def test_a_refresh_recomputes_the_latest_landlord_quarters_and_those_of_a_tenant_whose_incidents_changed(
    warehouse,
) -> None:
    """An incident withdrawn from the landlords' file rewrites its tenant's quarters too: what a full rebuild
    gives."""
    url, table = warehouse.url, "marts.fct_landlord_relation_quarters"
    latest, since = _latest_quarters_rewritten(url, table)
    with psycopg.connect(url) as conn:
        person, incident = conn.execute(
            "select incidents.person_key, incidents.incident_ref from staging.stg_landlords__incidents as incidents"
            f" inner join {table} as quarters on quarters.person_key = incidents.person_key"
            f" and quarters.quarter = {_quarter_of('incidents.reported_date')}"
            " where quarters.quarter < %s and quarters.leases > 0 order by incidents.incident_ref limit 1",
            (since,),
        ).fetchone()
        (earlier,) = conn.execute(
            f"select count(*) from {table} where person_key = %s and quarter < %s", (person, since)
        ).fetchone()
        conn.execute("delete from raw.landlord_incidents where record_ref = %s", (incident,))
    assert _rewritten(url, table) == (latest + earlier, latest + earlier)
    _assert_refresh_equals_rebuild(url)


@pytest.mark.parametrize(
    ("source", "events"),
    [
        (
            "housing_tenancies",
            "select tenancy_ref from staging.stg_housing__tenancies where person_key = %s"
            f" and exit_reason is distinct from 'deces' and {_quarter_of('start_date')} < %s"
            " order by tenancy_ref limit 1",
        ),
        (
            "shelter_nights",
            "select night_ref from staging.stg_shelter__nights"
            f" where person_key = %s and {_quarter_of('night_date')} < %s limit 1",
        ),
    ],
)
def test_a_refresh_recomputes_the_latest_housing_quarters_and_those_of_a_person_whose_tenancies_or_nights_changed(
    warehouse, source: str, events: str
) -> None:
    """A tenancy withdrawn from the operator's file, or a shelter night from its month, dated before the latest
    quarters rewrites that person's quarters too: what a full rebuild gives."""
    url, table = warehouse.url, "marts.fct_housing_quarters"
    latest, since = _latest_quarters_rewritten(url, table)
    with psycopg.connect(url) as conn:
        person, ref, earlier = next(
            (person, refs[0][0], earlier)
            for person, earlier in conn.execute(
                f"select person_key, count(*) from {table} where quarter < %s group by 1 order by 1", (since,)
            )
            if (refs := conn.execute(events, (person, since)).fetchall())
        )
        conn.execute(f"delete from raw.{source} where record_ref = %s", (ref,))
    assert _rewritten(url, table) == (latest + earlier, latest + earlier), person
    _assert_refresh_equals_rebuild(url)


def test_a_partner_late_across_a_quarter_end_has_that_quarter_recomputed_for_everyone_when_it_catches_up(
    tmp_path: Path, pg_admin_url: str
) -> None:
    """The shelter sends nothing after November while the housing data reach January: no day after 30 November is
    observed. When its December and January come, every person's fourth quarter is recomputed, not only the
    quarters from the latest held (the first quarter): what a full rebuild gives."""
    late = _empty_warehouse(tmp_path, pg_admin_url, as_of=date(2026, 1, 31), months=3)

    def load_and_refresh(sent) -> None:
        for name, contract in late.contracts.items():
            for path in find_extracts(contract, late.landing):
                if sent(name, contract.period_of(path.name) or ""):
                    ingest_file(late.ctx, contract, path)
        run_dbt(late.url, *DBT_BUILD)

    load_and_refresh(lambda name, period: period <= "2025-11")
    load_and_refresh(lambda name, period: period > "2025-11" and name != "shelter_nights")
    with psycopg.connect(late.url) as conn:
        assert conn.execute("select max(quarter), min(complete_until) from marts.fct_housing_quarters").fetchone() == (
            "2026-Q1",
            date(2025, 12, 1),
        )
    load_and_refresh(lambda name, period: period > "2025-11" and name == "shelter_nights")
    _assert_refresh_equals_rebuild(late.url)


def test_a_refresh_recomputes_the_latest_peer_support_quarters_and_those_of_a_person_whose_contacts_changed(
    warehouse,
) -> None:
    """A peer-support contact withdrawn from an earlier quarter rewrites its person's quarters too; one withdrawn
    from the latest quarters, recomputed anyway, rewrites no more: each what a full rebuild gives."""
    url, table = warehouse.url, "marts.fct_peer_support_quarters"
    latest, since = _latest_quarters_rewritten(url, table)
    counted = (
        "select contacts.person_key, contacts.contact_ref from staging.stg_housing__support_contacts as contacts"
        f" inner join {table} as quarters on quarters.person_key = contacts.person_key"
        f" and quarters.quarter = {_quarter_of('contacts.contact_date')}"
        " where contacts.contact_kind = 'pair_aidance' and quarters.peer_minutes > 0 and quarters.quarter {} %s"
        " order by contacts.contact_ref limit 1"
    )
    with psycopg.connect(url) as conn:
        person, contact = conn.execute(counted.format("<"), (since,)).fetchone()
        (earlier,) = conn.execute(
            f"select count(*) from {table} where person_key = %s and quarter < %s", (person, since)
        ).fetchone()
        conn.execute("delete from raw.housing_support_contacts where record_ref = %s", (contact,))
    assert _rewritten(url, table) == (latest + earlier, latest + earlier)
    with psycopg.connect(url) as conn:
        _, contact = conn.execute(counted.format(">="), (since,)).fetchone()
        conn.execute("delete from raw.housing_support_contacts where record_ref = %s", (contact,))
    assert _rewritten(url, table) == (latest, latest)
    _assert_refresh_equals_rebuild(url)
