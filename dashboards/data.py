"""Read-only access to the warehouse's `published` schema, the only schema the dashboards read."""

from __future__ import annotations

import logging
from typing import Any, Final

import pandas as pd
import streamlit as st
from streamlit.connections import SQLConnection

from pipelines.settings import get_settings
from pipelines.warehouse import database_url, sqlalchemy_url

log = logging.getLogger(__name__)

CONNECTION_TTL: Final = 600  # seconds before the engine is rebuilt
DATA_TTL: Final = 600  # published values change once a refresh, so ten minutes of staleness is fine
STATUS_TTL: Final = 30  # "nothing published yet" should clear soon after the first `abord run`

VALUE_COLUMNS: Final = (
    "indicator_code",
    "period",
    "site",
    "cohort",
    "breakdown",
    "numerator",
    "denominator",
    "value",
    "persons",
    "suppressed",
    "suppression_reason",
)
# published.retention_curve: a row per observation end, site (and 'all') and month since entry.
CURVE_COLUMNS: Final = (
    "period",
    "site",
    "time_months",
    "at_risk",
    "events",
    "survival",
    "suppressed",
    "suppression_reason",
)
# A pay-for-performance clause's published cells: its indicator's value to date, and the payment due once every
# entrant of its year is measured (absent until then).
CLAUSE_VALUE: Final = "pfp_indicator_value"
PAYMENT_DUE: Final = "pfp_payment_due"
CATALOGUE_COLUMNS: Final = (
    "indicator_code",
    "name_fr",
    "name_en",
    "definition_fr",
    "definition_en",
    "unit",
    "direction",
    "sectors",
)


# SQLSTATEs of a query naming a published column or table the warehouse lacks (undefined_column,
# undefined_table): one published by an older abord, whose tables gain columns only at the next refresh.
OUTDATED_SQLSTATES: Final = frozenset({"42703", "42P01"})


class WarehouseError(RuntimeError):
    """The warehouse could not be reached or read; the page shows a message instead of a trace."""


class OutdatedWarehouseError(WarehouseError):
    """The warehouse lacks a published column (or table) the dashboards read: published by an older abord, it
    needs a refresh, not a check of the server."""


@st.cache_resource(show_spinner=False)
def _warehouse_url(env_url: str | None, data_dir: str) -> str:
    # Keyed on the settings that decide the URL: without ABORD_DATABASE_URL, database_url() starts or
    # reuses the embedded server, which is too slow to redo on every rerun.
    del env_url, data_dir
    return sqlalchemy_url(database_url(get_settings()))


class WarehouseConnection(SQLConnection):
    """st.connection's SQLConnection, whose engine is disposed once Streamlit replaces it."""

    def close(self) -> None:
        # Called as the connection is released (its CONNECTION_TTL run out). SQLConnection's does nothing, so the
        # replaced engine kept its idle pooled connection to the warehouse until Python's cycle collector ran: on a
        # dashboard served for months, these piled up against the server's max_connections. Its connections still
        # checked out (a query running) are left to finish.
        if self._raw_instance is not None:
            self._raw_instance.dispose()


def connection() -> SQLConnection:
    settings = get_settings()
    try:
        url = _warehouse_url(settings.database_url, str(settings.data_dir))
        # Pinged when taken from the pool: a connection the server has dropped since (a restart) is replaced instead
        # of failing the page's next query, as SQLConnection.query's retries did.
        return st.connection("sql", type=WarehouseConnection, url=url, ttl=CONNECTION_TTL, pool_pre_ping=True)
    except Exception as exc:  # embedded server start-up or driver errors: all mean "no warehouse"
        log.warning("dashboard cannot open the warehouse: %s", type(exc).__name__)
        raise WarehouseError("warehouse unavailable") from exc


def _read(warehouse: SQLConnection, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    # Closed once read, the connection goes back to the pool for the next query. SQLConnection.query never closes
    # the one it opens: held in a reference cycle with its transaction, it stayed checked out until Python's cycle
    # collector freed it (the next query opening another meanwhile), to be rolled back then, at the end of a test
    # run against a server already stopped.
    from sqlalchemy import text

    with warehouse.connect() as live:
        return pd.read_sql(text(sql), live, params=params)


# Cached per warehouse (its URL, password masked), query and parameters, as SQLConnection.query caches.
@st.cache_data(ttl=DATA_TTL, show_spinner=False)
def _published(warehouse: str, sql: str, params: dict[str, Any] | None, _conn: SQLConnection) -> pd.DataFrame:
    return _read(_conn, sql, params)


@st.cache_data(ttl=STATUS_TTL, show_spinner=False)
def _status(warehouse: str, sql: str, _conn: SQLConnection) -> pd.DataFrame:
    return _read(_conn, sql)


def _query(sql: str, params: dict[str, Any] | None = None, *, status: bool = False) -> pd.DataFrame:
    """The rows of a query on `published`, kept DATA_TTL seconds, or STATUS_TTL for a `status` one."""
    from sqlalchemy.exc import SQLAlchemyError

    conn = connection()
    warehouse = conn.engine.url.render_as_string()
    try:
        return _status(warehouse, sql, conn) if status else _published(warehouse, sql, params, conn)
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:  # pandas wraps the errors of the queries it runs
        # Only the class is logged: driver messages can echo connection details.
        log.warning("dashboard query failed: %s", type(exc).__name__)
        if _sqlstate(exc) in OUTDATED_SQLSTATES:
            raise OutdatedWarehouseError("warehouse published by an older version") from exc
        raise WarehouseError("warehouse query failed") from exc


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of the driver's error under pandas' and SQLAlchemy's wrappers (their cause, and SQLAlchemy's
    `orig`), if any."""
    seen: BaseException | None = exc
    while seen is not None:
        if state := getattr(seen, "sqlstate", None):
            return str(state)
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def published_ready() -> bool:
    """Whether both published tables exist (checked by name, so a missing table costs no failed query)."""
    frame = _query(
        "select to_regclass('published.indicator_values') is not null"
        " and to_regclass('published.indicator_catalogue') is not null as ready",
        status=True,
    )
    return bool(frame["ready"].iloc[0])


def indicator_values(*codes: str) -> pd.DataFrame:
    """Every published row of the indicators `codes` (all periods, sites, cohorts), in the long shape, each with its
    indicator's catalogue `scale` (what ratios.shown_value multiplies numerator / denominator by) and the units of
    its numerator and denominator ('eur' for an amount in euros, else empty). Indicators read together come from
    one query, so from one refresh, however long each query stays cached (a clause's value and payment due)."""
    values = ", ".join(f"v.{column}" for column in VALUE_COLUMNS)
    frame = _query(
        f"select {values}, c.scale, c.numerator_unit, c.denominator_unit from published.indicator_values as v"
        " left join published.indicator_catalogue as c on v.indicator_code = c.indicator_code"
        " where v.indicator_code = any(:codes) order by v.period, v.site, v.cohort, v.breakdown",
        {"codes": list(codes)},
    )
    # Nullable integer/float types: suppressed cells stay empty instead of turning counts into floats.
    return frame.astype(
        {
            "numerator": "Int64",
            "denominator": "Int64",
            "persons": "Int64",
            "value": "Float64",
            "suppressed": "boolean",
            "scale": "Float64",
        }
    )


def catalogue_entry(indicator_code: str) -> dict[str, str] | None:
    """The catalogue row of one indicator (names and definitions in both languages), if any."""
    frame = _query(
        f"select {', '.join(CATALOGUE_COLUMNS)} from published.indicator_catalogue where indicator_code = :code",
        {"code": indicator_code},
    )
    if frame.empty:
        return None
    return {key: ("" if pd.isna(val) else str(val)) for key, val in frame.iloc[0].items()}


def catalogue() -> pd.DataFrame:
    """Every catalogued indicator, in code order, whether or not it has published values yet (a page says so
    rather than hiding it)."""
    return _query(
        f"select {', '.join(CATALOGUE_COLUMNS)} from published.indicator_catalogue order by indicator_code",
    )


def retention_curve() -> pd.DataFrame:
    """The Kaplan-Meier curve of time housed (published.retention_curve): per observation end, site (and 'all')
    and month since entry, persons at risk, events and the share still housed; suppressed months carry none."""
    frame = _query(
        f"select {', '.join(CURVE_COLUMNS)} from published.retention_curve order by period, site, time_months",
    )
    return frame.astype({"at_risk": "Int64", "events": "Int64", "survival": "Float64", "suppressed": "boolean"})
