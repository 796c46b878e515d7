"""The batch ledger (audit.batches): one row per file received, keyed by its sha256 (a FHIR export's: of its
Encounter and Patient files, batch_sha256), and what replaced what.

A batch is `loaded`, `rejected` (the file could not be read: no rows, one reason), or `replaced` (a later file
for the same source and period took its place; its raw rows are gone). `audit.current_batches` says which
loaded batches hold a source's current rows: for a snapshot source those of the latest period a batch observes
(`audit.observing_batches`: a later month whose every row was quarantined waits for its retry), for an append
source all of them. A snapshot source's loaded batch that is no longer current (an earlier period, a fixed
quarantine file of one, a late re-send of one) is `outdated_by` the latest period's file: its raw rows are
deleted in the transaction of the load that left it behind (nothing reads them again, and personal data nobody
uses is not kept), its ledger line stays `loaded` (its month's file of record, counts and reasons kept), and its
sha256 still makes the same file sent again `already_loaded`. Audit holds counts, row numbers, reason codes and
the names of the columns a file lacked (`not_in_file`), never a value from a file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import psycopg

from pipelines.contract import Contract
from pipelines.contract_fingerprint import contract_fingerprint
from pipelines.lateness import after_this_month
from pipelines.writer_lock import lock_for_transaction

LEDGER_DDL = """
alter table audit.batches add column if not exists load_mode text not null default 'snapshot';
alter table audit.batches add column if not exists contract_sha256 text;
alter table audit.batches add column if not exists replaced_by bigint references audit.batches;
alter table audit.batches add column if not exists retry_of bigint references audit.batches;
-- rows of the batch an erasure (abord forget) has since deleted from raw: the batch still adds up as loaded
alter table audit.batches add column if not exists rows_erased integer not null default 0;
-- a snapshot batch no longer current: its raw rows were deleted when this batch (its source's latest period) loaded
alter table audit.batches add column if not exists outdated_by bigint references audit.batches;
-- the contract columns its file lacked, which the contract says a file may (optional_in_file): loaded empty. Names only
alter table audit.batches add column if not exists not_in_file text[] not null default '{}';
-- a retry: rows to fix of its batch the steward deleted from the file, still counted as quarantined where they were
alter table audit.batches add column if not exists rows_given_up integer not null default 0;
create index if not exists batches_source_period on audit.batches (source, period);
create or replace view audit.rejection_counts as
select batch_id, reason_code, count(distinct source_row) as rows
from audit.rejections
group by batch_id, reason_code;
-- The loaded batches that observe their period: all but those whose every row read was kept out as invalid
-- (none loaded, rows quarantined for a reason other than opposition). Such a month's events wait in quarantine,
-- not absent: read as observed, it would say "nobody housed", "nobody in work". A batch that read no row (a
-- partner's empty month) or only rows of people who opposed (kept out by their choice) observes it; so does a
-- steward's retry that loads the fixed rows. The one definition: current_batches, int_sources_observed (dbt) and
-- the extracts_on_time check read it.
create or replace view audit.observing_batches as
select b.batch_id, b.source, b.period
from audit.batches as b
left join audit.rejection_counts as o on o.batch_id = b.batch_id and o.reason_code = 'opposition'
where b.status = 'loaded' and (b.rows_loaded > 0 or b.rows_quarantined <= coalesce(o.rows, 0));
-- a snapshot source is current through the latest period a batch observes: a later month quarantined whole
-- leaves the one before current until a retry loads its fixed rows
create or replace view audit.current_batches as
select b.batch_id, b.source, b.period, b.load_mode
from audit.batches as b
where b.status = 'loaded'
  and (b.load_mode = 'append' or b.period is not distinct from (
      select max(o.period) from audit.observing_batches as o where o.source = b.source));
"""


# the columns LEDGER_DDL adds to audit.batches, and its views, one release after another: a ledger lacking one
# predates it
LEDGER_COLUMNS = frozenset(re.findall(r"add column if not exists (\w+)", LEDGER_DDL))
LEDGER_VIEWS = frozenset(re.findall(r"create or replace view audit\.(\w+)", LEDGER_DDL))


def ensure_ledger(url: str) -> None:
    with psycopg.connect(url) as conn:
        # two loads must not both alter audit.batches, nor one while a dbt build reads it (they would deadlock)
        lock_for_transaction(conn)
        conn.execute(LEDGER_DDL)


def ledger_for_reading(url: str) -> bool:
    """Before a command reads the ledger without loading (`abord quarantine list`): a ledger an older abord left,
    lacking a column or a view, is brought up to date as a load does (under the writers' lock), or the command would
    fail until an ingest had run. Up to date, nothing is altered: a listing does not wait for a dbt build to finish.
    False when there is no ledger yet (nothing was ever loaded)."""
    with psycopg.connect(url) as conn:
        if conn.execute("select to_regclass('audit.batches')").fetchone()[0] is None:
            return False
        present = {
            name
            for (name,) in conn.execute(
                "select column_name from information_schema.columns"
                " where table_schema = 'audit' and table_name = 'batches'"
            )
        }
        views = {name for (name,) in conn.execute("select viewname from pg_views where schemaname = 'audit'")}
    if not (LEDGER_COLUMNS <= present and LEDGER_VIEWS <= views):
        ensure_ledger(url)
    return True


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def batch_sha256(path: Path, beside: Sequence[Path] = ()) -> str:
    """The sha256 a batch is known by: its file's; when it reads files `beside` it (a FHIR export's Patient file),
    one of every file's (a missing one's empty: its reader rejects the batch), so a re-send of either file is another
    batch, which replaces its period. A FHIR batch recorded before holds its Encounter file's alone: which Patient
    file it read is not known, so the same export sent again replaces it (once, with the same rows)."""
    if not beside:
        return sha256_of(path)
    return hashlib.sha256(" ".join([sha256_of(path), *map(_sha256_if_there, beside)]).encode()).hexdigest()


def _sha256_if_there(path: Path) -> str:
    try:
        return sha256_of(path)
    except FileNotFoundError:
        return ""


@dataclasses.dataclass(frozen=True)
class Seen:
    status: str  # already_loaded | already_rejected
    batch_id: int  # the batch that read the same bytes
    message: str
    reason: str | None = None  # already_rejected: the rejection's reason code


# A file rejected for the period its name gives (ingest._check_period) is not rejected for its bytes: renamed (the
# steward's fix of a typo), the same bytes are read again
NAME_REASONS = frozenset({"no_period", "bad_period", "future_period"})


def seen_before(
    conn: psycopg.Connection, contract: Contract, sha: str, name: str, today: date, retry_of: int | None = None
) -> Seen | None:
    """`already_loaded` when this file was loaded (even if since replaced); `already_rejected` when it was
    rejected under this same contract (for its period, under this same `name`; for a month to come, until it comes by
    `today`); None when it is to be read. The message names the earlier batch. A retry's file (`retry_of` its batch)
    is seen only as a retry of the same batch: the same fix of a re-sent month's quarantine file is not the retry it
    replaced."""
    rows = conn.execute(
        "select b.batch_id, b.status, b.contract_sha256, b.file_name, b.replaced_by, b.outdated_by, r.reason_code,"
        " b.period from audit.batches as b"
        " left join audit.rejections as r on r.batch_id = b.batch_id and b.status = 'rejected'"
        " where b.source = %s and b.sha256 = %s and b.retry_of is not distinct from %s order by b.batch_id",
        (contract.name, sha, retry_of),
    ).fetchall()
    for batch_id, status, _, file_name, replaced_by, outdated_by, _, _ in rows:
        if status in ("loaded", "replaced"):
            if replaced_by:
                since = f", since replaced by batch {replaced_by}"
            elif outdated_by:
                since = f", since outdated by batch {outdated_by} of a later period"
            else:
                since = ""
            return Seen("already_loaded", batch_id, f"the same bytes as batch {batch_id} ({file_name}{since})")
    for batch_id, _, fingerprint, file_name, _, _, reason, period in rows:
        if fingerprint == contract_fingerprint(contract) and _still_holds(reason, file_name == name, period, today):
            return Seen(
                "already_rejected",
                batch_id,
                f"the same bytes as batch {batch_id} ({file_name}), rejected ({reason}) under this same contract",
                reason,
            )
    return None


def _still_holds(reason: str | None, same_name: bool, period: str | None, today: date) -> bool:
    """Whether a rejection holds for the same bytes. One for the period in the file's name holds under that name;
    a month to come's only while it is to come: sent a few hours early (30 November for December, or by a partner's
    clock in another time zone), the file loads under its own name once its month has come."""
    if reason not in NAME_REASONS:
        return True
    if reason == "future_period" and not after_this_month(period, today):
        return False  # its month has come
    return same_name


def record_batch(
    cur: psycopg.Cursor,
    contract: Contract,
    file_name: str,
    sha: str,
    period: str | None,
    counts: tuple[int, int, int],
    status: str,
    retry_of: int | None = None,
    not_in_file: Sequence[str] = (),
    given_up: int = 0,
) -> int:
    return cur.execute(
        "insert into audit.batches (source, file_name, sha256, period, rows_read, rows_loaded, rows_quarantined,"
        " status, load_mode, contract_sha256, retry_of, not_in_file, rows_given_up)"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning batch_id",
        (
            contract.name,
            file_name,
            sha,
            period,
            *counts,
            status,
            contract.load,
            contract_fingerprint(contract),
            retry_of,
            list(not_in_file),
            given_up,
        ),
    ).fetchone()[0]


def replace_period(
    cur: psycopg.Cursor, contract: Contract, period: str, batch_id: int
) -> tuple[list[tuple[int, str]], int]:
    """The earlier loaded batches of this period give way to `batch_id`: their raw rows are deleted and they are
    marked replaced, in the caller's transaction. Returns their ids and file names, and the raw rows deleted."""
    earlier = cur.execute(
        "select batch_id, file_name from audit.batches where source = %s and period = %s and status = 'loaded'"
        " and batch_id <> %s order by batch_id for update",
        (contract.name, period, batch_id),
    ).fetchall()
    ids = [b for b, _ in earlier]
    deleted = 0
    if ids:
        cur.execute(f"delete from {contract.raw_table} where batch_id = any(%s)", (ids,))
        deleted = cur.rowcount
        cur.execute(
            "update audit.batches set status = 'replaced', replaced_by = %s where batch_id = any(%s)", (batch_id, ids)
        )
    return earlier, deleted


@dataclasses.dataclass(frozen=True)
class Outdated:
    """What one load left behind of its source's earlier periods."""

    by: int | None = None  # the latest period's file, each outdated batch's `outdated_by`
    batches: tuple[tuple[int, str, str, bool], ...] = ()  # (batch id, file name, period, a retry) per batch
    rows: tuple[tuple[int, int], ...] = ()  # (batch id, raw rows deleted) per batch that held rows

    @property
    def rows_deleted(self) -> int:
        return sum(n for _, n in self.rows)

    def rows_of(self, ids: Sequence[int]) -> int:
        return sum(n for b, n in self.rows if b in ids)

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(b for b, *_ in self.batches)

    @property
    def files(self) -> tuple[str, ...]:
        """The landing files of the outdated batches (a retry reads its original's quarantine file)."""
        return tuple(sorted({name for _, name, _, retry in self.batches if not retry}))


def waiting(batch: str) -> str:
    """SQL: the batch aliased `batch` is of a period after its source's current one (a later month quarantined
    whole): not current yet, nor outdated, its rows to fix wait for the retry that makes it current. True too when
    nothing is current."""
    return f"{batch}.period > all (select c.period from audit.current_batches as c where c.source = {batch}.source)"


def current_of(cur: psycopg.Cursor, source: str) -> list[tuple[int, str, str]]:
    """The current batches of a source: (batch id, file name, period), in the order they loaded."""
    return cur.execute(
        "select b.batch_id, b.file_name, b.period from audit.current_batches as c join audit.batches as b"
        " using (batch_id) where c.source = %s order by b.batch_id",
        (source,),
    ).fetchall()


def outdate_earlier_periods(cur: psycopg.Cursor, contract: Contract) -> Outdated:
    """A snapshot source's loaded batches of a period before `audit.current_batches`'s lose their raw rows and
    name the latest period's file as `outdated_by`, in the caller's transaction (a later month quarantined whole
    is `waiting`, not outdated). Append sources keep every period. Run after the load's own batch is recorded: a
    late re-send of an earlier period outdates itself."""
    if contract.load != "snapshot":
        return Outdated()
    latest = cur.execute(
        "select max(b.batch_id) from audit.current_batches as c join audit.batches as b using (batch_id)"
        " where c.source = %s and b.retry_of is null",
        (contract.name,),
    ).fetchone()[0]
    outdated = cur.execute(
        "update audit.batches set outdated_by = %(latest)s"
        " where source = %(source)s and status = 'loaded' and load_mode = 'snapshot' and outdated_by is null"
        " and batch_id not in (select batch_id from audit.current_batches where source = %(source)s)"
        f" and not {waiting('audit.batches')}"
        " returning batch_id, file_name, period, retry_of is not null",
        {"latest": latest, "source": contract.name},
    ).fetchall()
    if not outdated:
        return Outdated(latest)
    batches = tuple(sorted(outdated))
    # counted per batch: the load compares the current period's rows alone with its own (a warehouse from before
    # outdating may still hold older periods' rows)
    rows = cur.execute(
        f"with gone as (delete from {contract.raw_table} where batch_id = any(%s) returning batch_id)"
        " select batch_id, count(*) from gone group by batch_id",
        ([b for b, *_ in batches],),
    ).fetchall()
    return Outdated(latest, batches, tuple(rows))


def record_rejections(cur: psycopg.Cursor, batch_id: int, reasons: Sequence[tuple[int, str | None, str]]) -> None:
    """(source row, column, reason code) per problem: row numbers and codes only."""
    cur.executemany(
        "insert into audit.rejections (batch_id, source_row, column_name, reason_code) values (%s, %s, %s, %s)",
        [(batch_id, *reason) for reason in reasons],
    )
