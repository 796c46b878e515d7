"""The retention page through streamlit's AppTest, against a real PostgreSQL warehouse."""

from __future__ import annotations

import gc
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards import data

APP_FILE = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"
EARLIER = "2024-09-30"

NBSP = "\u00a0"
TITLE_FR = "Maintien dans le logement à 12 mois"
TITLE_EN = "12-month housing retention"


def run_app() -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def table(at: AppTest) -> pd.DataFrame:
    return at.table[0].value


def cell(frame: pd.DataFrame, site: str, cohort: str) -> pd.Series:
    rows = frame[(frame.iloc[:, 0] == site) & (frame.iloc[:, 1] == cohort)]
    assert len(rows) == 1, f"{site} {cohort} not in\n{frame}"
    return rows.iloc[0]


def open_connections(url: str) -> int:
    """The app's connections to the warehouse's database, this one's left out."""
    with psycopg.connect(url) as conn:
        (opened,) = conn.execute(
            "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"
        ).fetchone()
    return opened


def test_french_by_default(published_db: str) -> None:
    at = run_app()
    assert at.session_state["lang"] == "fr"
    assert at.title[0].value == TITLE_FR
    assert any("toujours logées" in m.value for m in at.markdown)  # definition from the catalogue
    assert list(table(at).columns) == ["Site", "Cohorte d'entrée", "Personnes", "Maintenues", "Taux"]


def test_switching_to_english(published_db: str) -> None:
    at = run_app()
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.title[0].value == TITLE_EN
    assert any("still housed" in m.value for m in at.markdown)
    frame = table(at)
    assert list(frame.columns) == ["Site", "Entry cohort", "Persons", "Retained", "Rate"]
    assert cell(frame, "Lyon", "2023-Q1")["Rate"] == "85.7%"
    assert at.metric[0].value == "86.0%"


def test_table_holds_published_values_formatted_in_french(published_db: str) -> None:
    frame = table(run_app())
    lyon = cell(frame, "Lyon", "2023-T1")
    assert (lyon["Personnes"], lyon["Maintenues"], lyon["Taux"]) == ("35", "30", f"85,7{NBSP}%")
    assert cell(frame, "Tous les sites", "Toutes les cohortes")["Taux"] == f"86,0{NBSP}%"
    # Sites in order, each with its cohorts then its total; the all-sites rows last.
    assert frame.iloc[0, :2].tolist() == ["Lyon", "2022-T3"]
    assert frame.iloc[-1, :2].tolist() == ["Tous les sites", "Toutes les cohortes"]


def test_suppressed_cells_show_less_than_11_and_never_numbers(published_db: str) -> None:
    at = run_app()
    frame = table(at)
    for cohort in ("2022-T3", "2023-T4"):
        assert cell(frame, "Marseille", cohort).tolist()[2:] == ["< 11", "—", "—"]
        # Lyon's cell is large but would follow from the cohort total: hidden, and said to be for that reason.
        assert cell(frame, "Lyon", cohort).tolist()[2:] == ["masquée", "—", "—"]
    # Suppressed cells are left off the chart, and the page says which.
    assert any("Marseille 2022-T3, Marseille 2023-T4" in c.value for c in at.caption)


def test_metrics_show_the_overall_value(published_db: str) -> None:
    at = run_app()
    assert [m.value for m in at.metric] == [f"86,0{NBSP}%", "264", "227"]
    assert at.metric[0].label == "Taux de maintien à 12 mois"


def test_site_filter_survives_a_language_switch(published_db: str) -> None:
    at = run_app()
    at.selectbox(key="retention_site").set_value("Marseille").run()
    assert set(table(at)["Site"]) == {"Marseille"}
    assert at.metric[0].value == f"85,6{NBSP}%"
    at.sidebar.radio[0].set_value("en").run()
    assert at.selectbox(key="retention_site").value == "Marseille"
    assert at.metric[0].value == "85.6%"


def test_period_choice_defaults_to_latest_and_can_go_back(published_db: str) -> None:
    at = run_app()
    assert at.selectbox(key="retention_period").value == "2024-12-31"
    at.selectbox(key="retention_period").set_value(EARLIER).run()
    assert cell(table(at), "Lyon", "2023-T1")["Taux"] == f"82,4{NBSP}%"
    assert "2023-T4" not in set(table(at)["Cohorte d'entrée"])


def test_a_month_published_while_the_page_is_open_replaces_the_latest_not_a_choice(published_db: str) -> None:
    """A reader left on the default, the latest observation end, is moved to a month published while the page is
    open, the URL still saying nothing of it; one who chose a month stays on it (the session kept the month that
    was latest and wrote it in the URL, as if chosen: the page stayed on it and a link shared then pinned it)."""
    newer = "2025-03-31"
    on_latest, on_earlier = run_app(), run_app()
    on_earlier.selectbox(key="retention_period").set_value(EARLIER).run()
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "insert into published.indicator_values select indicator_code, %s, site, cohort, breakdown, numerator,"
            " denominator, value, persons, suppressed, suppression_reason from published.indicator_values"
            " where indicator_code = 'housing_retention_12m' and period = '2024-12-31'",
            (newer,),
        )
    st.cache_data.clear()  # as the data's ttl running out does
    for at in (on_latest.run(), on_earlier.run()):
        assert not at.exception, [e.value for e in at.exception]
    assert on_latest.selectbox(key="retention_period").value == newer
    assert "period" not in on_latest.query_params
    assert on_earlier.selectbox(key="retention_period").value == EARLIER
    assert on_earlier.query_params["period"] == EARLIER


def test_no_quarter_after_quarter_section_its_entry_cohorts_are_the_series(published_db: str) -> None:
    # Even a warehouse still holding quarterly retention cells (published before they were dropped: the same
    # persons as an entry cohort four quarters earlier, suppressed apart) shows none of them.
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "insert into published.indicator_values values "
            "('housing_retention_12m', '2024-Q4', 'all', 'all', 'all', 30, 35, 0.857143, 35, false, null)"
        )
    at = run_app()
    assert at.selectbox(key="retention_period").options == ["31/12/2024", "30/09/2024"]  # never a quarter
    assert [s.value for s in at.subheader] == ["Détail par site et cohorte d'entrée"]
    assert len(at.table) == 1 and len(at.get("vega_lite_chart")) == 1
    assert "Chaque cohorte d'entrée est un trimestre : le graphique suit le maintien trimestre après trimestre." in [
        c.value for c in at.caption
    ]
    at.sidebar.radio[0].set_value("en").run()
    assert "Each entry cohort is a quarter: the chart follows retention quarter after quarter." in [
        c.value for c in at.caption
    ]
    assert [s.value for s in at.subheader] == ["Detail by site and entry cohort"]


def test_the_pages_queries_give_their_connection_back_to_the_pool(published_db: str) -> None:
    # Each query's connection stayed checked out until Python's cycle collector freed it (SQLConnection.query never
    # closes the one it opens), so the next query opened another: three for this page. Freed later, each was rolled
    # back then, at the end of the tests against a server already stopped (psycopg AdminShutdown tracebacks).
    run_app()
    assert open_connections(published_db) == 1


def test_a_replaced_connection_closes_its_warehouse_connection(
    published_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every CONNECTION_TTL Streamlit builds the app's connection anew; the old engine's idle connection stayed open
    # until Python's cycle collector ran (SQLConnection.close does nothing), piling up on a dashboard served for
    # months. The collector is off here, so only closing the replaced engine frees it.
    monkeypatch.setattr(data, "CONNECTION_TTL", 0.5)
    gc.disable()
    try:
        run_app()
        time.sleep(1)
        st.cache_data.clear()  # the page reads again, through the new engine
        run_app()
        opened = open_connections(published_db)
    finally:
        gc.enable()
    assert opened == 1


def test_a_connection_the_server_dropped_is_replaced_not_shown_as_an_error(published_db: str) -> None:
    # The connection back in the pool is one the server has since dropped (as a restart does): taken again for the
    # page's next run, it is replaced rather than failing the page with "cannot read the warehouse".
    at = run_app()
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "select pg_terminate_backend(pid) from pg_stat_activity"
            " where datname = current_database() and pid <> pg_backend_pid()"
        )
    st.cache_data.clear()  # as the data's ttl running out does
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == TITLE_FR and table(at).shape[0] > 0


def test_a_warehouse_published_by_an_older_abord_asks_for_a_refresh_not_a_trace(published_db: str) -> None:
    # A warehouse published by an older abord, not refreshed since (its catalogue without the units of numerators
    # and denominators): the query fails in pandas, whose DatabaseError reached the page as a trace, then as the
    # page's "check the server and ABORD_DATABASE_URL", which sent a steward after a server that was fine.
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute("alter table published.indicator_catalogue drop column numerator_unit")
    at = AppTest.from_file(str(APP_FILE), default_timeout=30).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "version antérieure d'abord" in at.error[0].value
    assert "`abord run`" in at.error[0].value and "`refresh`" in at.error[0].value
    assert "ABORD_DATABASE_URL" not in at.error[0].value
    at.sidebar.radio[0].set_value("en").run()
    assert "older version of abord" in at.error[0].value and "`refresh`" in at.error[0].value


def test_download_button_is_offered(published_db: str) -> None:
    at = run_app()
    (button,) = at.get("download_button")
    assert button.proto.label == "Télécharger les données (CSV)"
    at.sidebar.radio[0].set_value("en").run()
    (button,) = at.get("download_button")
    assert button.proto.label == "Download data (CSV)"


@pytest.mark.parametrize("db", ["bare_db", "empty_published_db"])
def test_nothing_published_shows_a_friendly_message(db: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(db)
    at = run_app()
    assert at.info[0].value == "Aucun indicateur publié pour l'instant — lancez `abord run`."
    assert not at.table and not at.metric
    at.sidebar.radio[0].set_value("en").run()
    assert at.info[0].value == "No indicator published yet — run `abord run`."


def test_unreachable_warehouse_shows_an_error_not_a_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    # Port 9 on localhost refuses at once; the password must not leak into the page.
    monkeypatch.setenv("ABORD_DATABASE_URL", "postgresql://abord:s3cret@127.0.0.1:9/abord?connect_timeout=2")
    at = run_app()
    assert "ABORD_DATABASE_URL" in at.error[0].value
    assert "s3cret" not in str([e.value for e in at.error] + [m.value for m in at.markdown])
