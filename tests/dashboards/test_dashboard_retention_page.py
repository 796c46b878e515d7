"""The retention page through streamlit's AppTest, against a real PostgreSQL warehouse."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import chart_points

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


def test_quarter_after_quarter_for_all_sites_then_a_site_with_hidden_quarters(published_db: str) -> None:
    at = run_app()
    assert at.selectbox(key="retention_period").options == ["31/12/2024", "30/09/2024"]  # never a quarter
    assert [s.value for s in at.subheader][-1] == "Trimestre après trimestre"
    assert list(at.table[1].value.columns) == ["Trimestre", "Ventilation", "Personnes", "Valeur"]
    assert at.table[1].value.values.tolist() == [
        ["2023-T3", "Ensemble", "39", f"87,2{NBSP}%"],
        ["2023-T4", "Ensemble", "50", f"86,0{NBSP}%"],
        ["2024-T1", "Ensemble", "43", f"86,0{NBSP}%"],
        ["2024-T2", "Ensemble", "50", f"84,0{NBSP}%"],
        ["2024-T3", "Ensemble", "47", f"87,2{NBSP}%"],
        ["2024-T4", "Ensemble", "35", f"85,7{NBSP}%"],
    ]
    latest = "Le dernier trimestre, 2024-T4, compte jusqu'à la fin d'observation, le 31/12/2024."
    assert latest in [c.value for c in at.caption]

    at.selectbox(key="retention_site").set_value("Marseille").run()
    quarters = at.table[1].value.values.tolist()
    assert quarters[2] == ["2024-T1", "Ensemble", "< 11", "—"]
    assert quarters[5] == ["2024-T4", "Ensemble", "< 11", "—"]
    assert quarters[3] == ["2024-T2", "Ensemble", "22", f"81,8{NBSP}%"]
    values = chart_points(at)["value"]
    assert values.isna().tolist() == [False, False, True, False, False, True]  # gaps, never numbers

    # Lyon's quarters beside Marseille's small ones are hidden too, and say why.
    at.selectbox(key="retention_site").set_value("Lyon").run()
    assert at.table[1].value.values.tolist()[2] == ["2024-T1", "Ensemble", "masquée", "—"]
    at.sidebar.radio[0].set_value("en").run()
    assert [s.value for s in at.subheader][-1] == "Quarter after quarter"
    assert at.table[1].value.values.tolist()[2] == ["2024-Q1", "All", "hidden", "—"]
    assert at.table[1].value.values.tolist()[0] == ["2023-Q3", "All", "24", "87.5%"]

    # An earlier observation end: the quarters still say which observation end they count up to.
    at.selectbox(key="retention_period").set_value(EARLIER).run()
    assert "The latest quarter, 2024-Q4, counts up to the observation end, 31 Dec 2024." in [
        c.value for c in at.caption
    ]


def test_download_button_is_offered(published_db: str) -> None:
    at = run_app()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Télécharger les données (CSV)", "Télécharger les trimestres (CSV)"]
    at.sidebar.radio[0].set_value("en").run()
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == ["Download data (CSV)", "Download the quarters (CSV)"]


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
