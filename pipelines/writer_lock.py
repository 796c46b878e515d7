"""One advisory lock for whatever writes raw rows or identities, and for a dbt build, which reads them.

Every load takes it first in its transaction, and so do erasure, opposition and key rotation: two loads never
create two keys for one person, and nobody re-keys the store under a load. A load keeps it past its commit until its
quarantine file is in place, for the purge of opposed persons' rows to find it. A dbt build holds it for its whole run:
dbt writes the current batch ids into its queries as it compiles them, and a load committing meanwhile could delete
the rows of a period the build has still to read (a snapshot source's next period, a re-sent month). So a manual
`abord ingest` during a scheduled build waits for the build, and a build waits for a load in progress.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

log = logging.getLogger(__name__)

WRITER_LOCK = 4_242_001


def lock_for_transaction(conn: Any) -> None:
    """Take the lock until the end of the transaction of `conn` (a connection or a cursor)."""
    _take(conn, "xact_", "waiting for a dbt build or another load to finish")


def hold_past_commit(conn: Any) -> None:
    """In a transaction holding the lock: hold it for the session too (granted at once, the session has it), so
    that what follows the commit is done before another writer starts. Released with the connection (a crash's
    too)."""
    conn.execute("select pg_advisory_lock(%s)", (WRITER_LOCK,))


@contextmanager
def held_for_a_build(url: str) -> Iterator[None]:
    """Hold the lock while the block runs, in a session of its own (a crash that ends it releases the lock)."""
    with psycopg.connect(url, autocommit=True) as conn:
        _take(conn, "", "the dbt build waits for a load in progress to commit")
        yield


def _take(conn: Any, scope: str, waiting: str) -> None:
    """pg_advisory_lock, or its transaction-scoped twin; saying so when it has to wait."""
    (free,) = conn.execute(f"select pg_try_advisory_{scope}lock(%s)", (WRITER_LOCK,)).fetchone()
    if not free:
        log.warning(waiting)
        conn.execute(f"select pg_advisory_{scope}lock(%s)", (WRITER_LOCK,))
