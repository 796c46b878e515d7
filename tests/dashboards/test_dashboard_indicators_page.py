"""The indicators page through streamlit's AppTest, against a real PostgreSQL warehouse (seeded in conftest)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.dashboards.conftest import (
    APP_FILE,
    CATALOGUE_ROW,
    CLAUSE_VALUE,
    COMMITTED,
    CURVE,
    CURVE_CATALOGUE_ROW,
    DAYS_HOUSED,
    LATEST,
    OTHER_CATALOGUE_ROWS,
    OTHER_ROWS,
    PAYMENT_DUE,
    PROVISIONAL,
    UNPUBLISHED,
    _cell,
    chart_points,
)

PAGE = "app_pages/indicators.py"
NBSP, NNBSP = "\u00a0", "\u202f"

CATALOGUE = [CATALOGUE_ROW, *OTHER_CATALOGUE_ROWS, CURVE_CATALOGUE_ROW]
NAMES = {row[0]: {"fr": row[1], "en": row[2]} for row in CATALOGUE}
SECTORS = {row[0]: row[8].split(";")[0] for row in CATALOGUE}
PUBLISHED = sorted({row[0] for row in OTHER_ROWS} | {CATALOGUE_ROW[0], DAYS_HOUSED})

# The programme-wide all-cohorts metrics of each published indicator, per language.
METRICS = {
    "housing_retention_12m": {"fr": [f"86,0{NBSP}%"], "en": ["86.0%"]},
    DAYS_HOUSED: {"fr": [f"93,3{NBSP}%"], "en": ["93.3%"]},
    "cost_avoided_health": {"fr": [f"1{NNBSP}235{NBSP}€"], "en": ["€1,235"]},
    "health_emergency_visits": {"fr": ["2,35", "1,12"], "en": ["2.35", "1.12"]},
    "housing_referral_to_entry_days": {"fr": [f"45,3{NBSP}jours"], "en": [f"45.3{NBSP}days"]},
    "employment_weekly_hours": {"fr": [f"18,4{NBSP}h"], "en": [f"18.4{NBSP}h"]},
    "voice_satisfaction_housing": {"fr": ["7,8"], "en": ["7.8"]},
    "voice_council_sessions": {"fr": [f"1{NNBSP}234"], "en": ["1,234"]},
}


def open_page(lang: str = "fr") -> AppTest:
    at = AppTest.from_file(str(APP_FILE), default_timeout=30)
    at.session_state["lang"] = lang
    at.switch_page(PAGE)
    return run(at)


def run(target: Any) -> AppTest:
    """Rerun the app (from the AppTest or from a widget just set) and fail on any exception."""
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose(at: AppTest, code: str) -> AppTest:
    run(at.selectbox(key="indicators_sector").set_value(SECTORS[code]))
    return run(at.selectbox(key="indicators_indicator").set_value(code))


def rows(at: AppTest, site: str) -> pd.DataFrame:
    frame = at.table[0].value
    return frame[frame.iloc[:, 0] == site]


def quarters_explanation(at: AppTest) -> str:
    """The text right under the quarter-after-quarter heading."""
    texts = [node for node in at.main if node.type in ("subheader", "markdown")]
    heading = next(i for i, node in enumerate(texts) if node.type == "subheader" and node is at.subheader[-1])
    return texts[heading + 1].value


def test_every_catalogued_indicator_is_reachable_through_its_sectors(published_db: str) -> None:
    at = open_page()
    assert at.title[0].value == "Indicateurs publiés"
    sector = at.selectbox(key="indicators_sector")
    # Sector codes in reading order, labelled in French; 'health;costs' puts an indicator in both.
    assert sector.options == [
        "Logement", "Santé", "Emploi et formation", "Parole des locataires", "Coûts", "Financeurs",
    ]  # fmt: skip
    listed: set[str] = set()
    for code in ("housing", "health", "employment", "tenants_voice", "funders", "costs"):
        run(at.selectbox(key="indicators_sector").set_value(code))
        listed |= set(at.selectbox(key="indicators_indicator").options)
    assert listed == {names["fr"] for names in NAMES.values()}
    assert "Coûts de santé évités" in at.selectbox(key="indicators_indicator").options  # listed under costs too

    for code in PUBLISHED:
        choose(at, code)
        assert at.header[0].value == NAMES[code]["fr"]
        assert not at.table[0].value.empty, code


@pytest.mark.parametrize("code", list(METRICS))
def test_values_formatted_per_unit_and_the_choice_survives_a_language_switch(code: str, published_db: str) -> None:
    at = choose(open_page(), code)
    assert [m.value for m in at.metric] == METRICS[code]["fr"]
    run(at.sidebar.radio[0].set_value("en"))
    assert at.selectbox(key="indicators_indicator").value == code
    assert at.header[0].value == NAMES[code]["en"]
    assert [m.value for m in at.metric] == METRICS[code]["en"]


def test_table_shows_every_breakdown_before_then_after(published_db: str) -> None:
    at = choose(open_page("en"), "health_emergency_visits")
    frame = at.table[0].value
    assert list(frame.columns) == [
        "Site", "Entry cohort", "Breakdown", "Persons", "Numerator", "Denominator", "Value",
    ]  # fmt: skip
    assert frame.values.tolist() == [
        ["Lyon", "2023-Q1", "Before entry", "15", "40", "15", "2.67"],
        ["Lyon", "2023-Q1", "After entry", "15", "18", "15", "1.20"],
        ["All sites", "All cohorts", "Before entry", "26", "61", "26", "2.35"],
        ["All sites", "All cohorts", "After entry", "26", "29", "26", "1.12"],
    ]
    assert [m.label for m in at.metric] == ["Before entry", "After entry"]
    # Published by entry cohort: its cards put them together, and say so.
    assert {m.help for m in at.metric} == {"All entry cohorts together, for the selection."}


def test_suppressed_cells_show_why_and_never_numbers(published_db: str) -> None:
    at = choose(open_page(), "cost_avoided_health")
    assert rows(at, "Marseille").values.tolist()[0][2:] == ["Ensemble", "< 11", "—", "—", "—"]
    assert rows(at, "Lyon").values.tolist()[0][2:] == ["Ensemble", "masquée", "—", "—", "—"]
    assert rows(at, "Tous les sites").values.tolist()[0][2:] == [
        "Ensemble", "33", f"40{NNBSP}741{NBSP}€", "33", f"1{NNBSP}235{NBSP}€",
    ]  # fmt: skip
    # A site's own total is suppressed: its metric says why, with no number.
    run(at.selectbox(key="indicators_site").set_value("Marseille"))
    assert [m.value for m in at.metric] == ["< 11"]
    # Costs are published by site, not by entry cohort: the card reads as the table's row, with no cohort help.
    assert [(m.label, m.help) for m in at.metric] == [("Ensemble", "")]
    run(at.selectbox(key="indicators_site").set_value("Lyon"))
    assert [m.value for m in at.metric] == ["masquée"]
    run(at.sidebar.radio[0].set_value("en"))
    assert at.selectbox(key="indicators_site").value == "Lyon"
    assert [m.value for m in at.metric] == ["hidden"]


def test_each_clause_reads_as_its_funder_indicator_and_clause_id_in_both_languages(published_db: str) -> None:
    # Two tiers of one funder, indicator, site and year: a row each, told apart by their clause ids, the payment
    # due and the payment planned in euros; no card, whose one line would cut off the clause id that tells them
    # apart.
    at = choose(open_page(), PAYMENT_DUE)
    assert rows(at, "Lyon").values.tolist() == [
        ["Lyon", "Toutes les cohortes", "CIS-LDA — Maintien dans le logement à 12 mois "
         "(clause PP-CIS-LDA-LYO-2024-housing_retention_12m-80)", "40", f"12{NNBSP}345{NBSP}€",
         f"12{NNBSP}345{NBSP}€", f"12{NNBSP}345{NBSP}€"],
        ["Lyon", "Toutes les cohortes", "CIS-LDA — Maintien dans le logement à 12 mois "
         "(clause PP-CIS-LDA-LYO-2024-housing_retention_12m-90)", "40", f"0{NBSP}€", f"20{NNBSP}576{NBSP}€",
         f"0{NBSP}€"],
        ["Lyon", "Toutes les cohortes", "METRO-LYON — En emploi ou en formation à 12 mois "
         "(clause PP-ML-LYO-2024-emploi-60)", "—", "—", "—", "provisoire : paiement non encore dû"],
    ]  # fmt: skip
    run(at.selectbox(key="indicators_site").set_value("Lyon"))
    assert not at.metric
    run(at.sidebar.radio[0].set_value("en"))
    assert [row[2] for row in rows(at, "Lyon").values.tolist()] == [
        "CIS-LDA — 12-month housing retention (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-80)",
        "CIS-LDA — 12-month housing retention (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-90)",
        "METRO-LYON — In work or training at 12 months (clause PP-ML-LYO-2024-emploi-60)",
    ]
    assert rows(at, "Lyon").values.tolist()[0][4:] == ["€12,345", "€12,345", "€12,345"]


def test_a_clause_valued_to_date_without_its_payment_due_reads_as_provisional(published_db: str) -> None:
    # A clause whose year's entrants are not all measured is published with its value to date and no payment due:
    # the payment due page left it out, as if it had no clause, and its value read as final. Both now say it is
    # provisional, the payment not due yet.
    at = choose(open_page(), PAYMENT_DUE)
    provisional = rows(at, "Lyon").values.tolist()[-1]
    assert "PP-ML-LYO-2024-emploi-60" in provisional[2] and provisional[-1] == "provisoire : paiement non encore dû"
    assert any("« provisoire »" in caption.value for caption in at.caption)
    run(at.sidebar.radio[0].set_value("en"))
    assert rows(at, "Lyon").values.tolist()[-1][3:] == ["—", "—", "—", "provisional: payment not due yet"]

    at = choose(open_page(), CLAUSE_VALUE)
    assert [row[3:] for row in rows(at, "Lyon").values.tolist()] == [
        ["40", "34", "40", f"85,0{NBSP}%"],
        ["40", "34", "40", f"85,0{NBSP}%"],
        ["21", "12", "21", f"57,1{NBSP}% (provisoire)"],
    ]
    run(at.sidebar.radio[0].set_value("en"))
    assert rows(at, "Lyon").values.tolist()[-1][-1] == "57.1% (provisional)"
    assert any("“provisional”" in caption.value for caption in at.caption)


def test_a_payment_released_by_a_refresh_reads_once_not_also_as_provisional(published_db: str) -> None:
    # Queries are cached DATA_TTL seconds for every reader of the app. The payment due page read the payment due
    # cells and which clauses are provisional in two queries, cached apart: a reader of the clause values before a
    # refresh releasing a clause's payment, another of the payments due after it, and the clause read twice there,
    # its payment due beside "payment not due yet". Both now come from one query, one refresh.
    choose(open_page(), CLAUSE_VALUE)
    with psycopg.connect(published_db, autocommit=True) as conn:
        released = _cell(PAYMENT_DUE, "Lyon", "all", PROVISIONAL, (0, 15000, 0, 21))
        conn.execute("insert into published.indicator_values values (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", released)
    clause = PROVISIONAL.rsplit(":", 1)[1]
    at = choose(open_page(), PAYMENT_DUE)
    assert [clause in row[2] for row in rows(at, "Lyon").values.tolist()].count(True) == 1
    st.cache_data.clear()  # DATA_TTL over: the refresh is read, the payment due alone
    at = choose(open_page(), PAYMENT_DUE)
    (due,) = [row for row in rows(at, "Lyon").values.tolist() if clause in row[2]]
    assert due[-1] == f"0{NBSP}€"


def test_a_funders_amounts_read_by_funder_and_sector_name_in_both_languages(published_db: str) -> None:
    # 'funder:sector' with the finance partner's sector codes, as a funder reads them: its sector's name in the
    # page's language, in the table and on the cards; a sector the dashboards do not know shows its code.
    at = choose(open_page(), COMMITTED)
    assert [row[2] for row in rows(at, "Lyon").values.tolist()] == [
        "ARS — Santé", "FDF — divers", "METRO-LYON — Hébergement d'urgence", "METRO-LYON — Logement",
    ]  # fmt: skip
    assert rows(at, "Lyon").values.tolist()[0][6] == f"120{NNBSP}000{NBSP}€"
    # A card per funder and sector labelled by them alone; amounts have no entry cohorts, so no help says they
    # put them together.
    assert [m.label for m in at.metric] == [
        "ARS — Santé", "FDF — divers", "METRO-LYON — Hébergement d'urgence", "METRO-LYON — Logement",
    ]  # fmt: skip
    assert {m.help for m in at.metric} == {""}
    run(at.sidebar.radio[0].set_value("en"))
    assert [row[2] for row in rows(at, "All sites").values.tolist()] == [
        "ARS — Health", "FDF — divers", "METRO-LYON — Emergency shelter", "METRO-LYON — Housing",
    ]  # fmt: skip
    assert at.metric[0].label == "ARS — Health"


def test_a_funders_share_paid_reads_the_euros_paid_and_committed_as_euros(published_db: str) -> None:
    # A share (a percent) of euros: its numerator and denominator read as plain numbers, "90 000" beside the
    # funders' amounts in euros, where the catalogue says both are euros.
    code = "funder_paid_share"
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "insert into published.indicator_catalogue (indicator_code, name_fr, name_en, definition_fr,"
            " definition_en, unit, scale, direction, sectors, numerator_unit, denominator_unit) values (%s,"
            " 'Part versée', 'Share paid', 'Déf.', 'Def.', 'percent', 1, 'higher_is_better', 'funders', 'eur', 'eur')",
            (code,),
        )
        for site in ("Lyon", "all"):
            conn.execute(
                "insert into published.indicator_values values (%s, %s, %s, 'all', 'ARS:sante', 90000, 120000,"
                " 0.75, null, false, null)",
                (code, LATEST, site),
            )
    at = open_page()
    run(at.selectbox(key="indicators_sector").set_value("funders"))
    run(at.selectbox(key="indicators_indicator").set_value(code))
    shown = ["—", f"90{NNBSP}000{NBSP}€", f"120{NNBSP}000{NBSP}€", f"75,0{NBSP}%"]  # persons: none, amounts
    assert rows(at, "Lyon").values.tolist()[0][3:] == shown
    run(at.sidebar.radio[0].set_value("en"))
    assert rows(at, "All sites").values.tolist()[0][3:] == ["—", "€90,000", "€120,000", "75.0%"]


def test_a_count_of_no_persons_shows_a_dash_not_a_suppression(published_db: str) -> None:
    at = choose(open_page(), "voice_council_sessions")
    assert rows(at, "Tous les sites").values.tolist()[0][3:] == ["—", f"1{NNBSP}234", "—", f"1{NNBSP}234"]


def test_quarter_after_quarter_of_the_days_stably_housed_in_french_and_english(published_db: str) -> None:
    at = choose(open_page(), DAYS_HOUSED)
    assert at.selectbox(key="indicators_period").options == ["31/12/2024"]  # never a quarter
    # Over the whole observation: 65 persons, fewer than the quarters' persons put together.
    assert rows(at, "Tous les sites").values.tolist()[0][3:] == [
        "65", f"15{NNBSP}942", f"17{NNBSP}090", f"93,3{NBSP}%",
    ]  # fmt: skip
    assert [s.value for s in at.subheader][-1] == "Trimestre après trimestre"
    # What a quarter counts is each indicator's own: its definition says it.
    assert "la définition ci-dessus (« par trimestre »)" in quarters_explanation(at)
    quarters = at.table[1].value
    # No breakdown column (it has none), and its numerator and denominator as in the table above.
    assert list(quarters.columns) == ["Trimestre", "Personnes", "Numérateur", "Dénominateur", "Valeur"]
    assert quarters.values.tolist() == [
        ["2024-T1", "38", f"2{NNBSP}940", f"3{NNBSP}210", f"91,6{NBSP}%"],
        ["2024-T2", "52", f"4{NNBSP}312", f"4{NNBSP}600", f"93,7{NBSP}%"],
        ["2024-T3", "47", f"3{NNBSP}980", f"4{NNBSP}260", f"93,4{NBSP}%"],
        ["2024-T4", "56", f"4{NNBSP}710", f"5{NNBSP}020", f"93,8{NBSP}%"],
    ]
    assert "Le dernier trimestre, 2024-T4, compte jusqu'à la fin d'observation, le 31/12/2024." in [
        c.value for c in at.caption
    ]
    buttons = [b.proto.label for b in at.get("download_button")]
    assert buttons == ["Télécharger les données (CSV)", "Télécharger les trimestres (CSV)"]

    # Marseille's small first quarter and the one hidden beside it: why, never a number, and gaps in the line.
    run(at.selectbox(key="indicators_site").set_value("Marseille"))
    assert at.table[1].value.values.tolist() == [
        ["2024-T1", "< 11", "—", "—", "—"],
        ["2024-T2", "16", f"1{NNBSP}302", f"1{NNBSP}400", f"93,0{NBSP}%"],
        ["2024-T3", "masquée", "—", "—", "—"],
        ["2024-T4", "18", f"1{NNBSP}470", f"1{NNBSP}600", f"91,9{NBSP}%"],
    ]
    points = chart_points(at)
    assert points["quarter_label"].tolist() == ["2024-T1", "2024-T2", "2024-T3", "2024-T4"]
    assert points["value"].isna().tolist() == [True, False, True, False]
    assert points["value"][[1, 3]].tolist() == [0.93, 0.91875]

    run(at.sidebar.radio[0].set_value("en"))
    assert [s.value for s in at.subheader][-1] == "Quarter after quarter"
    assert "the definition above says (“by quarter”)" in quarters_explanation(at)
    assert at.table[1].value.values.tolist()[:3] == [
        ["2024-Q1", "< 11", "—", "—", "—"],
        ["2024-Q2", "16", "1,302", "1,400", "93.0%"],
        ["2024-Q3", "hidden", "—", "—", "—"],
    ]
    assert "The latest quarter, 2024-Q4, counts up to the observation end, 31 Dec 2024." in [
        c.value for c in at.caption
    ]
    # Lyon's quarters beside Marseille's hidden ones are hidden too, and say why.
    run(at.selectbox(key="indicators_site").set_value("Lyon"))
    assert [row[1] for row in at.table[1].value.values.tolist()] == ["hidden", "36", "hidden", "38"]


def test_quarter_after_quarter_of_a_landlord_amount_speaks_of_no_housing_measure(published_db: str) -> None:
    # The landlord amount page explained its quarters by returns to homelessness, days stably housed and
    # peer-support hours: measures it does not hold.
    code = "landlord_guarantee_amount_claimed"
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "insert into published.indicator_catalogue values (%s, 'Montant moyen demandé', 'Mean amount claimed',"
            " 'Déf.', 'Def.', 'eur', 1, 'lower_is_better', 'landlords')",
            (code,),
        )
        for period, claimed, claims in ((LATEST, 36000, 24), ("2024-Q3", 15000, 11), ("2024-Q4", 21000, 13)):
            conn.execute(
                "insert into published.indicator_values values (%s, %s, 'all', 'all', 'all', %s, %s, %s, %s,"
                " false, null)",
                (code, period, claimed, claims, round(claimed / claims, 4), claims),
            )
    at = open_page()
    run(at.selectbox(key="indicators_sector").set_value("landlords"))
    assert at.subheader[-1].value == "Trimestre après trimestre"
    assert [row[0] for row in at.table[1].value.values.tolist()] == ["2024-T3", "2024-T4"]
    explain = quarters_explanation(at)
    assert not any(word in explain for word in ("à la rue", "logement", "pair-aidance")), explain
    assert "la définition ci-dessus" in explain
    run(at.sidebar.radio[0].set_value("en"))
    explain = quarters_explanation(at)
    assert not any(word in explain for word in ("homelessness", "housed", "peer-support")), explain
    assert "the definition above" in explain


@pytest.mark.parametrize("code", ["housing_retention_12m", "voice_satisfaction_housing"])
def test_no_quarter_section_for_an_indicator_without_quarterly_cells(code: str, published_db: str) -> None:
    # 12-month retention is counted from entry: its entry cohorts, in the table, are its quarters.
    at = choose(open_page(), code)
    assert [s.value for s in at.subheader] == ["Détail par site, cohorte d'entrée et ventilation"]
    assert len(at.table) == 1 and not at.get("vega_lite_chart")
    assert [b.proto.label for b in at.get("download_button")] == ["Télécharger les données (CSV)"]


def test_download_offers_the_indicator_shown(published_db: str) -> None:
    at = choose(open_page(), "cost_avoided_health")
    (button,) = at.get("download_button")
    assert button.proto.label == "Télécharger les données (CSV)"


def test_an_indicator_with_no_published_rows_says_so(published_db: str) -> None:
    at = choose(open_page(), UNPUBLISHED)
    assert at.header[0].value == NAMES[UNPUBLISHED]["fr"]
    assert at.info[0].value.startswith("Aucune valeur publiée pour cet indicateur")
    assert not at.table and not at.metric
    run(at.sidebar.radio[0].set_value("en"))
    assert at.info[0].value.startswith("No published value for this indicator")


def test_nothing_published_shows_a_friendly_message(bare_db: str) -> None:
    at = open_page()
    assert at.info[0].value == "Aucun indicateur publié pour l'instant — lancez `abord run`."
    assert not at.selectbox and not at.table


def test_the_time_housed_curve_shows_month_by_month_its_hidden_months_without_numbers(published_db: str) -> None:
    # Catalogued as an indicator, published in its own table: the page said no value was published for it.
    at = choose(open_page(), CURVE)
    assert at.header[0].value == "Courbe de maintien" and not at.info
    points = chart_points(at)
    assert set(points["site_label"]) == {"Lyon", "Marseille", "Tous les sites"}
    lyon = points[points["site_label"] == "Lyon"].set_index("time_months")
    assert lyon.loc[12, "survival"] == 0.8974 and lyon.loc[12, "survival_label"] == f"89,7{NBSP}%"
    # Months under 11 persons followed (and Lyon's beside them): gaps, their labels never a number.
    hidden = points[points["time_months"] >= 13]
    assert hidden[hidden["site_label"] != "Tous les sites"]["survival"].isna().all()
    assert set(hidden[hidden["site_label"] == "Marseille"]["at_risk_label"]) == {"< 11"}
    assert set(hidden[hidden["site_label"] == "Marseille"]["survival_label"]) == {"—"}
    # Lyon's, over 30 persons followed, are not said to be under 11: hidden for Marseille's sake, as a cell is.
    assert set(hidden[hidden["site_label"] == "Lyon"]["at_risk_label"]) == {"masquée"}
    assert at.subheader[0].value == "Tous les sites : tous les six mois depuis l'entrée"
    assert at.table[0].value.values.tolist() == [
        ["0", "56", f"100,0{NBSP}%"],
        ["6", "53", f"94,5{NBSP}%"],
        ["12", "50", f"89,1{NBSP}%"],
        ["18", "47", f"83,6{NBSP}%"],
    ]

    run(at.selectbox(key="curve_site").set_value("Marseille"))
    assert set(chart_points(at)["site_label"]) == {"Marseille", "Tous les sites"}
    assert at.table[0].value.values.tolist()[2:] == [["12", "11", f"45,5{NBSP}%"], ["18", "< 11", "—"]]

    run(at.sidebar.radio[0].set_value("en"))
    assert at.subheader[0].value == "Marseille: every six months since entry"
    assert list(at.table[0].value.columns) == [
        "Months since entry",
        "Persons followed",
        "Still housed",
    ]
    assert at.table[0].value.values.tolist()[2] == ["12", "11", "45.5%"]
    run(at.selectbox(key="curve_site").set_value("Lyon"))
    assert at.table[0].value.values.tolist()[3] == ["18", "hidden", "—"]
    assert not at.info


def test_a_curve_published_by_an_older_abord_asks_for_a_refresh(published_db: str) -> None:
    # Its table without the reason a month is hidden until the next `abord run`: the page said to check the server.
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute("alter table published.retention_curve drop column suppression_reason")
    at = choose(open_page(), CURVE)
    assert "version antérieure d'abord" in at.error[0].value and "ABORD_DATABASE_URL" not in at.error[0].value
    run(at.sidebar.radio[0].set_value("en"))
    assert "older version of abord" in at.error[0].value and "`abord run`" in at.error[0].value


def test_data_quality_reads_each_source_by_its_name_and_code_in_french_then_english(published_db: str) -> None:
    # The committee read the data-quality cards and rows by the contracts' codes ('shelter_nights'), in either
    # language; a source added since its label still shows, as its code.
    with psycopg.connect(published_db, autocommit=True) as conn:
        conn.execute(
            "insert into published.indicator_catalogue values ('dq_rows_quarantined', 'Lignes en quarantaine',"
            " 'Rows quarantined', 'Déf.', 'Def.', 'percent', 1, 'lower_is_better', 'data_quality')"
        )
        for source, numerator, denominator in (("shelter_nights", 401, 40478), ("new_source", 2, 200)):
            conn.execute(
                "insert into published.indicator_values values ('dq_rows_quarantined', %s, 'all', 'all', %s,"
                " %s, %s, %s, null, false, null)",
                (LATEST, source, numerator, denominator, round(numerator / denominator, 4)),
            )
    at = open_page()
    run(at.selectbox(key="indicators_sector").set_value("data_quality"))
    cards = {m.label: m.value for m in at.metric}
    assert cards == {
        "Nuitées d'hébergement d'urgence (shelter_nights)": f"1,0{NBSP}%",
        "new_source": f"1,0{NBSP}%",
    }
    # Rows of extracts, not persons entered in a cohort: no card says it puts entry cohorts together.
    assert {m.help for m in at.metric} == {""}
    assert rows(at, "Tous les sites").iloc[:, 2].tolist() == [
        "new_source",
        "Nuitées d'hébergement d'urgence (shelter_nights)",
    ]
    run(at.sidebar.radio[0].set_value("en"))
    assert {m.label for m in at.metric} == {"Emergency shelter nights (shelter_nights)", "new_source"}
