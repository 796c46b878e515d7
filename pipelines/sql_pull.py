"""A table in a partner's database, pulled incrementally by a watermark column, then ingested like a file.

A pull selects the rows whose watermark is above the last loaded pull's, writes them to landing as JSON lines
named after the new high watermark (so the pull has a sha256, a period, a ledger line and a quarantine file like
any extract; an sql contract is `load: append`), and ingests that file. The database URL comes from the
environment variable the contract names: credentials stay out of contracts, the ledger and logs.
Rows that arrive later with a watermark equal to or below the last pull's are not seen: the partner's column
must only grow (a sequence, or a last-modified timestamp set on every write). A row whose watermark is NULL has no
place in that order: no pull takes it, and each pull's summary counts them until the partner sets it.
A date or timestamp watermark after today (the programme's day, as a file's month to come) refuses the pull: a
partner's clock ahead, or a mistyped 2052, would have become the bound, and no row written before it pulled again.
A timestamptz watermark's bound is saved in UTC: in the session's local time an hour repeats when clocks go
back, and the bound read back then skipped the rows of that hour.
A date column (`type: date`, or the birth date) read from a timestamp takes its date, as a workbook's date-time
cell does (xlsx.py).
A column the contract says a source may lack (optional_in_file) that the table does not have is left out of the
pull: no line holds its key, so the pull's batch loads it empty and says so, as a file's lacking it does. A table
column that is its name renamed (header.renamed_as) refuses the pull, as a header holding it does.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from pipelines.contract import Column, Contract
from pipelines.ingest import BatchSummary, IngestContext, ingest_file
from pipelines.readers.cells import cell_text
from pipelines.readers.header import missing_refused, renamed_hint
from pipelines.settings import get_settings


class SqlSourceError(ValueError):
    """The partner table cannot be pulled; the message names the source and what is wrong (never the URL)."""


def bound_text(value: object) -> str:
    """A watermark as file-name text that sorts like the values (integers zero-padded)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:020d}"
    if isinstance(value, datetime):
        if value.tzinfo is not None:  # a moment (timestamptz): kept in UTC, as a wall-clock time can repeat
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y%m%dT%H%M%S%f")
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    raise SqlSourceError(f"watermark values must be integers, dates or timestamps, not {type(value).__name__}")


def bound_value(text: str) -> object:
    if "T" in text:
        return datetime.strptime(text, "%Y%m%dT%H%M%S%f")
    return int(text) if len(text) == 20 else datetime.strptime(text, "%Y%m%d").date()


def _last_bound(ctx: IngestContext, contract: Contract) -> object | None:
    ctx.ensure_schema()
    with psycopg.connect(ctx.url) as conn:
        row = conn.execute(
            "select period from audit.batches where source = %s and status in ('loaded', 'replaced')"
            " order by batch_id desc limit 1",
            (contract.name,),
        ).fetchone()
    return bound_value(row[0]) if row else None


def _table(conn: sa.Connection, contract: Contract) -> tuple[sa.Table, list[Column]]:
    """The partner table and the contract columns it has: all of them but those it may lack (optional_in_file)."""
    schema, _, name = contract.format.table.rpartition(".")
    try:
        table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=conn)
    except sa.exc.NoSuchTableError:
        raise SqlSourceError(f"{contract.name}: no table {contract.format.table} in the partner database") from None
    wanted = list(dict.fromkeys([c.name for c in contract.columns] + [contract.format.watermark]))
    missing, unknown = [n for n in wanted if n not in table.c], [n for n in table.c.keys() if n not in wanted]
    refused = missing_refused(contract, missing, unknown)  # the watermark too: it is no contract column
    if refused:
        raise SqlSourceError(
            f"{contract.name}: {contract.format.table} has no column(s) {', '.join(refused)}"
            f"{renamed_hint(refused, unknown)}"
        )
    watermark = table.c[contract.format.watermark]
    try:
        kind = watermark.type.python_type
    except NotImplementedError:
        kind = None
    if kind not in (int, date, datetime):  # checked before a row is read: a text or decimal column has no bound
        raise SqlSourceError(
            f"{contract.name}: the watermark {contract.format.table}.{watermark.name} is {watermark.type}:"
            " it must be an integer, a date or a timestamp"
        )
    return table, [c for c in contract.columns if c.name in table.c]


def _tomorrow(watermark: sa.Column, today: date) -> date | datetime | None:
    """The first watermark value after `today` by the programme's calendar; None for an integer watermark (a
    sequence has no calendar to run ahead of)."""
    start = today + timedelta(days=1)
    if watermark.type.python_type is date:
        return start
    if watermark.type.python_type is datetime:
        zone = ZoneInfo(get_settings().timezone) if getattr(watermark.type, "timezone", False) else None
        return datetime.combine(start, time(), tzinfo=zone)
    return None


def _refuse_rows_to_come(
    conn: sa.Connection, contract: Contract, watermark: sa.Column, ahead: sa.ColumnElement[bool], today: date
) -> None:
    """Refuse the pull when rows it would take (`ahead`) have a watermark after today: a partner's clock ahead, a
    mistyped 2052. Not quarantined: its watermark past the rows pulled meanwhile, such a row would be pulled and
    quarantined again at every pull, and never pulled once the partner corrects it to a date below their bound.
    Refused, the bound stays below it: nothing is read or recorded (no rows to balance), and the corrected row comes
    with the rest."""
    count = conn.execute(sa.select(sa.func.count()).where(ahead)).scalar_one()
    if not count:
        return
    # their watermark values are how the partner finds the rows (a record id would identify a person)
    first = conn.execute(sa.select(watermark).where(ahead).order_by(watermark).limit(3)).scalars().all()
    more = ", ..." if count > len(first) else ""
    raise SqlSourceError(
        f"{contract.name}: {count} row(s) of {contract.format.table} have {watermark.name} after today, {today}"
        f" ({', '.join(map(str, first))}{more}): a partner's clock ahead or a mistyped date. Pulled, the pull's bound"
        " would move there and the rows written before it would never be pulled. Nothing was pulled; ask the partner"
        f" to correct {contract.format.table}.{watermark.name} on those rows, then pull again"
    )


def _failure(contract: Contract, stage: str, exc: sa.exc.SQLAlchemyError) -> SqlSourceError:
    """What failed and where, without the driver's text: it can hold the host, the user or a row's values."""
    sqlstate = getattr(getattr(exc, "orig", None), "sqlstate", None)
    code = f", SQLSTATE {sqlstate}" if sqlstate else ""
    return SqlSourceError(
        f"{contract.name}: the pull of {contract.format.table} failed {stage} ({type(exc).__name__}{code});"
        f" nothing was loaded. Check {contract.format.url_env} (host, port, user, password) and that the partner"
        " database is up, then pull again"
    )


def pull_table(ctx: IngestContext, contract: Contract, landing_dir: Path, url: str | None = None) -> BatchSummary:
    """Pull the new rows of the partner table into landing and ingest them; `up_to_date` when there are none.

    A connection that fails, at the start or mid-way, is an SqlSourceError naming the source, the table and the
    step; the partly written pull is removed, so landing holds a whole pull or none."""
    fmt = contract.format
    url = url or os.environ.get(fmt.url_env or "")
    if not url:
        raise SqlSourceError(f"{contract.name}: set {fmt.url_env} to the partner database's SQLAlchemy URL")
    after = _last_bound(ctx, contract)
    landing_dir.mkdir(parents=True, exist_ok=True)
    temporary = landing_dir / f".{contract.name}.pull.partial"
    high, path, engine, failure = None, None, None, None
    stage = f"reading the URL in {fmt.url_env}"
    try:
        try:
            engine = sa.create_engine(url)
        except (ValueError, ImportError) as exc:  # a port not a number; a driver not installed: the URL's text
            raise sa.exc.ArgumentError(type(exc).__name__) from None
        stage = "connecting to the partner database"
        with engine.connect() as conn:
            stage = f"reading the columns of {fmt.table}"
            table, columns = _table(conn, contract)
            watermark = table.c[fmt.watermark]
            if isinstance(after, datetime) and getattr(watermark.type, "timezone", False):
                after = after.replace(tzinfo=UTC)  # as bound_text saved it, whatever the session's zone
            # NULL sorts last in PostgreSQL: it would end the pull and make its high watermark
            pulled = watermark.is_not(None) if after is None else watermark > after
            stage = f"reading the rows of {fmt.table}"
            if (tomorrow := _tomorrow(watermark, ctx.today)) is not None:
                _refuse_rows_to_come(conn, contract, watermark, pulled & (watermark >= tomorrow), ctx.today)
                pulled &= watermark < tomorrow  # one written since the check waits for the next pull, which refuses
            query = sa.select(*[table.c[c.name] for c in columns], watermark.label("_watermark"))
            query = query.where(pulled).order_by(watermark)
            dates = {c.name for c in contract.columns if c.type == "date" or c.role == "birth_date"}
            unplaced = conn.execute(sa.select(sa.func.count()).where(watermark.is_(None))).scalar_one()
            with temporary.open("w", encoding="utf-8") as handle:
                for row in conn.execution_options(stream_results=True).execute(query).mappings():
                    high = row["_watermark"]
                    values = {c.name: cell_text(row[c.name], fmt, date_column=c.name in dates) for c in columns}
                    handle.write(json.dumps(values, ensure_ascii=False) + "\n")
        if high is not None:
            path = landing_dir / contract.file_pattern.replace("*", bound_text(high), 1)
    except sa.exc.SQLAlchemyError as exc:
        failure = _failure(contract, stage, exc)  # raised below, outside this block: no driver error chained to it
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        if engine is not None:
            engine.dispose()
    if failure is not None:
        temporary.unlink(missing_ok=True)
        raise failure
    note = f"{unplaced} row(s) of {fmt.table} have no {fmt.watermark}: never pulled until it is set" if unplaced else ""
    if path is None:
        temporary.unlink()
        return BatchSummary(contract.name, fmt.table, "up_to_date", message=note)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary.replace(path)  # whole or not at all: the landing sensor never sees half a pull
    summary = ingest_file(ctx, contract, path)
    return replace(summary, message="; ".join(filter(None, [summary.message, note])))
