"""French and English for every string the dashboards show, and number/date formats per language.

French is the default: the programme and most of its partners work in French.
"""

from __future__ import annotations

from typing import Final, Literal

import pandas as pd
import streamlit as st

Lang = Literal["fr", "en"]
LANGUAGES: Final[dict[str, str]] = {"fr": "Français", "en": "English"}
DEFAULT_LANG: Final[Lang] = "fr"
SESSION_KEY: Final = "lang"

# Non-breaking spaces keep "85,3 %" and "1 234" on one line, as French typography wants.
NBSP: Final = "\u00a0"
NNBSP: Final = "\u202f"

SUPPRESSED: Final = "< 11"
NOT_AVAILABLE: Final = "—"

TEXT: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "app.title": "abord — Logement d'abord",
        "app.caption": "Indicateurs publiés du programme, petits effectifs masqués.",
        "lang.label": "Langue / Language",
        "nav.retention": "Maintien dans le logement",
        "retention.fallback_title": "Maintien dans le logement à 12 mois",
        "filter.site": "Site",
        "filter.period": "Fin d'observation",
        "all_sites": "Tous les sites",
        "all_cohorts": "Toutes les cohortes",
        "period.caption": "Données observées jusqu'au {date}.",
        "metric.rate": "Taux de maintien à 12 mois",
        "metric.persons": "Personnes observées 12 mois",
        "metric.retained": "Toujours logées à 12 mois",
        "metric.help": "Toutes cohortes d'entrée confondues, pour la sélection.",
        "chart.title": "Maintien à 12 mois par trimestre d'entrée",
        "chart.x": "Trimestre d'entrée",
        "chart.y": "Taux de maintien",
        "chart.persons": "Personnes",
        "chart.empty": "Aucune valeur publiable à représenter pour cette sélection.",
        "chart.suppressed_none": "Aucune cellule masquée dans cette sélection.",
        "chart.suppressed_some": "Cellules masquées (moins de 11 personnes) non représentées : {cells}.",
        "table.title": "Détail par site et cohorte d'entrée",
        "col.site": "Site",
        "col.cohort": "Cohorte d'entrée",
        "col.persons": "Personnes",
        "col.retained": "Maintenues",
        "col.rate": "Taux",
        "table.legend": "« < 11 » : cellule masquée (moins de 11 personnes) ; « masquée » : cellule cachée pour "
        "qu'une petite cellule ne puisse pas se déduire du total. Leurs effectifs et taux ne sont pas publiés.",
        "cell.complementary": "masquée",
        "download.label": "Télécharger les données (CSV)",
        "download.help": "Les lignes publiées affichées ci-dessus, au format long ; séparateur « ; », "
        "virgule décimale, UTF-8 pour Excel.",
        "empty": "Aucun indicateur publié pour l'instant — lancez `abord run`.",
        "error.warehouse": "Impossible de lire l'entrepôt de données. Vérifiez que le serveur PostgreSQL "
        "est démarré et que ABORD_DATABASE_URL est correcte.",
        "quarter": "T",
    },
    "en": {
        "app.title": "abord — Housing First",
        "app.caption": "Published programme indicators, small numbers hidden.",
        "lang.label": "Langue / Language",
        "nav.retention": "Housing retention",
        "retention.fallback_title": "12-month housing retention",
        "filter.site": "Site",
        "filter.period": "Observation end",
        "all_sites": "All sites",
        "all_cohorts": "All cohorts",
        "period.caption": "Data observed up to {date}.",
        "metric.rate": "12-month retention rate",
        "metric.persons": "Persons observed 12 months",
        "metric.retained": "Still housed at 12 months",
        "metric.help": "All entry cohorts together, for the selection.",
        "chart.title": "12-month retention by entry quarter",
        "chart.x": "Entry quarter",
        "chart.y": "Retention rate",
        "chart.persons": "Persons",
        "chart.empty": "No publishable value to plot for this selection.",
        "chart.suppressed_none": "No suppressed cell in this selection.",
        "chart.suppressed_some": "Suppressed cells (fewer than 11 persons) are not plotted: {cells}.",
        "table.title": "Detail by site and entry cohort",
        "col.site": "Site",
        "col.cohort": "Entry cohort",
        "col.persons": "Persons",
        "col.retained": "Retained",
        "col.rate": "Rate",
        "table.legend": "“< 11”: suppressed cell (fewer than 11 persons); “hidden”: cell hidden so that a small "
        "cell cannot be worked out from the total. Their counts and rates are not published.",
        "cell.complementary": "hidden",
        "download.label": "Download data (CSV)",
        "download.help": "The published rows shown above, in long format; comma-separated, UTF-8 for Excel.",
        "empty": "No indicator published yet — run `abord run`.",
        "error.warehouse": "Cannot read the data warehouse. Check that the PostgreSQL server is running "
        "and that ABORD_DATABASE_URL is right.",
        "quarter": "Q",
    },
}

_MONTHS_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def current_lang() -> Lang:
    """The language chosen in the sidebar (French until the user picks another)."""
    lang = st.session_state.get(SESSION_KEY, DEFAULT_LANG)
    return "en" if lang == "en" else "fr"


def t(key: str, lang: Lang | None = None, **fields: object) -> str:
    """The UI string `key` in `lang` (default: the current language), with `{fields}` filled in."""
    text = TEXT[lang or current_lang()][key]
    return text.format(**fields) if fields else text


def format_percent(share: float | None, lang: Lang, digits: int = 1) -> str:
    """A share 0..1 as a percentage: fr "85,3 %" (non-breaking space), en "85.3%"."""
    # None, NaN and pd.NA all stand for a cell the warehouse left empty.
    if share is None or pd.isna(share):
        return NOT_AVAILABLE
    number = f"{float(share) * 100:.{digits}f}"
    return f"{number.replace('.', ',')}{NBSP}%" if lang == "fr" else f"{number}%"


def format_count(count: int | None, lang: Lang) -> str:
    """A whole number with thousands grouped: fr "1 234" (narrow no-break space), en "1,234"."""
    if count is None or pd.isna(count):
        return NOT_AVAILABLE
    grouped = f"{int(count):,}"
    return grouped.replace(",", NNBSP) if lang == "fr" else grouped


def format_date(iso_date: str, lang: Lang) -> str:
    """'2024-12-31' as fr "31/12/2024", en "31 Dec 2024"."""
    year, month, day = iso_date[:10].split("-")
    if lang == "fr":
        return f"{day}/{month}/{year}"
    return f"{int(day)} {_MONTHS_EN[int(month) - 1]} {year}"


def format_cohort(cohort: str, lang: Lang) -> str:
    """An entry quarter 'YYYY-Qn' as fr "2023-T1" (trimestre), en "2023-Q1"; 'all' as all cohorts."""
    if cohort == "all":
        return t("all_cohorts", lang)
    year, _, quarter = cohort.partition("-Q")
    return f"{year}-{t('quarter', lang)}{quarter}" if quarter else cohort


def format_site(site: str, lang: Lang) -> str:
    return t("all_sites", lang) if site == "all" else site
