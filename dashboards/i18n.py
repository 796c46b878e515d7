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
        "app.caption": "Indicateurs publiés du programme, petits effectifs masqués.",
        "lang.label": "Langue / Language",
        "nav.retention": "Maintien dans le logement",
        "nav.indicators": "Indicateurs",
        "indicators.title": "Indicateurs publiés",
        "indicators.no_values": "Aucune valeur publiée pour cet indicateur : aucune cellule n'est encore "
        "observable, ou l'indicateur n'a pas été calculé lors du dernier rafraîchissement.",
        "indicators.table_title": "Détail par site, cohorte d'entrée et ventilation",
        "filter.sector": "Secteur",
        "filter.indicator": "Indicateur",
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
        "metric.value": "Toutes cohortes",
        "chart.title": "Maintien à 12 mois par trimestre d'entrée",
        "chart.x": "Trimestre d'entrée",
        "chart.y": "Taux de maintien",
        "chart.persons": "Personnes",
        "chart.quarter_after_quarter": "Chaque cohorte d'entrée est un trimestre : le graphique suit le maintien "
        "trimestre après trimestre.",
        "chart.empty": "Aucune valeur publiable à représenter pour cette sélection.",
        "chart.suppressed_none": "Aucune cellule masquée dans cette sélection.",
        "chart.suppressed_some": "Cellules masquées (moins de 11 personnes, ou cachées pour qu'une petite "
        "cellule ne se déduise pas du total), laissées en blanc : {cells}.",
        "table.title": "Détail par site et cohorte d'entrée",
        "col.site": "Site",
        "col.cohort": "Cohorte d'entrée",
        "col.persons": "Personnes",
        "col.retained": "Maintenues",
        "col.rate": "Taux",
        "col.breakdown": "Ventilation",
        "col.numerator": "Numérateur",
        "col.denominator": "Dénominateur",
        "col.value": "Valeur",
        "table.legend": "« < 11 » : cellule masquée (moins de 11 personnes) ; « masquée » : cellule cachée pour "
        "qu'une petite cellule ne puisse pas se déduire du total. Leurs effectifs et valeurs ne sont pas publiés.",
        "cell.complementary": "masquée",
        "col.quarter": "Trimestre",
        "quarters.title": "Trimestre après trimestre",
        # Shown on every indicator published by quarter, whatever its sector: what a quarter counts is the
        # indicator's own, said in its definition.
        "quarters.explain": "Chaque trimestre ne compte que ce qui lui revient, comme le précise la définition "
        "ci-dessus (« par trimestre ») : sa valeur est celle de ce trimestre seul, pas celle de toute l'observation "
        "comme dans le tableau plus haut. Un trimestre masqué laisse un trou dans sa courbe, jamais un chiffre.",
        "quarters.chart_title": "Par trimestre",
        "quarters.latest": "Le dernier trimestre, {quarter}, compte jusqu'à la fin d'observation, le {date}.",
        "download.quarters_label": "Télécharger les trimestres (CSV)",
        "download.quarters_help": "Les lignes trimestrielles publiées affichées ci-dessus, au format long ; "
        "séparateur « ; », virgule décimale, UTF-8 pour Excel.",
        "download.label": "Télécharger les données (CSV)",
        "download.curve_help": "Chaque mois de la courbe ci-dessus (le tableau en montre un sur six), du site "
        "choisi ou de chaque site et de tous ensemble ; séparateur « ; », virgule décimale, UTF-8 pour Excel.",
        "download.help": "Les lignes publiées affichées ci-dessus, au format long ; séparateur « ; », "
        "virgule décimale, UTF-8 pour Excel.",
        "empty": "Aucun indicateur publié pour l'instant — lancez `abord run`.",
        "error.warehouse": "Impossible de lire l'entrepôt de données. Vérifiez que le serveur PostgreSQL "
        "est démarré et que ABORD_DATABASE_URL est correcte.",
        "error.outdated": "L'entrepôt de données a été publié par une version antérieure d'abord : il lui manque "
        "des colonnes que ces tableaux de bord lisent. Rafraîchissez-le (`abord run`, ou le job Dagster `refresh`).",
        "clause.provisional_value": "{value} (provisoire)",
        "clause.payment_not_due": "provisoire : paiement non encore dû",
        "clause.legend": "« provisoire » : valeur à date d'une clause dont les personnes entrées l'année de la "
        "clause ne sont pas encore toutes mesurées ; son paiement n'est pas encore dû.",
        "quarter": "T",
        "breakdown.all": "Ensemble",
        "breakdown.before": "Avant l'entrée",
        "breakdown.after": "Après l'entrée",
        "breakdown.clause": "{funder} — {indicator} (clause {clause})",
        "breakdown.clause_without_id": "{funder} — {indicator}",
        "breakdown.funder_sector": "{funder} — {sector}",
        "breakdown.source": "{name} ({code})",
        "clause.housing_retention_12m": "Maintien dans le logement à 12 mois",
        "clause.employment_in_work_12m": "En emploi ou en formation à 12 mois",
        "clause.health_emergency_visits_change": "Variation des passages aux urgences",
        "unit.days": "{number}\u00a0jours",
        "unit.hours": "{number}\u00a0h",
        "sector.housing": "Logement",
        "sector.health": "Santé",
        "sector.justice": "Justice",
        "sector.shelter": "Hébergement d'urgence",
        "sector.employment": "Emploi et formation",
        "sector.tenants_voice": "Parole des locataires",
        "sector.peer_support": "Pair-aidance",
        "sector.landlords": "Bailleurs partenaires",
        "sector.costs": "Coûts",
        "sector.funders": "Financeurs",
        "sector.data_quality": "Qualité des données",
        "sector.support": "Accompagnement",
        "curve.chart_title": "Part des personnes toujours logées, mois après mois depuis l'entrée",
        "curve.month": "Mois depuis l'entrée",
        "curve.at_risk": "Personnes suivies",
        "curve.survival": "Toujours logées",
        "curve.explain": "Estimation de Kaplan-Meier : chaque personne compte tant qu'elle est observée ; une "
        "ligne en pointillés suit tous les sites ensemble. Un mois masqué (moins de 11 personnes suivies) laisse "
        "un trou dans sa courbe, jamais un chiffre.",
        "curve.table_title": "{site} : tous les six mois depuis l'entrée",
        "curve.legend": "« < 11 » : mois masqué (moins de 11 personnes suivies) ; « masquée » : cellule cachée "
        "pour qu'un petit effectif ne se déduise pas du total. Leurs effectifs et valeurs ne sont pas publiés.",
    },
    "en": {
        "app.caption": "Published programme indicators, small numbers hidden.",
        "lang.label": "Langue / Language",
        "nav.retention": "Housing retention",
        "nav.indicators": "Indicators",
        "indicators.title": "Published indicators",
        "indicators.no_values": "No published value for this indicator: no cell is observable yet, or the "
        "indicator was not computed by the last refresh.",
        "indicators.table_title": "Detail by site, entry cohort and breakdown",
        "filter.sector": "Sector",
        "filter.indicator": "Indicator",
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
        "metric.value": "All cohorts",
        "chart.title": "12-month retention by entry quarter",
        "chart.x": "Entry quarter",
        "chart.y": "Retention rate",
        "chart.persons": "Persons",
        "chart.quarter_after_quarter": "Each entry cohort is a quarter: the chart follows retention quarter after "
        "quarter.",
        "chart.empty": "No publishable value to plot for this selection.",
        "chart.suppressed_none": "No suppressed cell in this selection.",
        "chart.suppressed_some": "Hidden cells (fewer than 11 persons, or hidden so that a small cell cannot "
        "be worked out from the total), left blank: {cells}.",
        "table.title": "Detail by site and entry cohort",
        "col.site": "Site",
        "col.cohort": "Entry cohort",
        "col.persons": "Persons",
        "col.retained": "Retained",
        "col.rate": "Rate",
        "col.breakdown": "Breakdown",
        "col.numerator": "Numerator",
        "col.denominator": "Denominator",
        "col.value": "Value",
        "table.legend": "“< 11”: suppressed cell (fewer than 11 persons); “hidden”: cell hidden so that a small "
        "cell cannot be worked out from the total. Their counts and values are not published.",
        "cell.complementary": "hidden",
        "col.quarter": "Quarter",
        "quarters.title": "Quarter after quarter",
        "quarters.explain": "Each quarter counts only what belongs to it, as the definition above says (“by "
        "quarter”): its value is that quarter's alone, not the whole observation's as in the table above. A hidden "
        "quarter leaves a gap in its line, never a number.",
        "quarters.chart_title": "By quarter",
        "quarters.latest": "The latest quarter, {quarter}, counts up to the observation end, {date}.",
        "download.quarters_label": "Download the quarters (CSV)",
        "download.quarters_help": "The published quarterly rows shown above, in long format; comma-separated, "
        "UTF-8 for Excel.",
        "download.label": "Download data (CSV)",
        "download.curve_help": "Every month of the curve above (the table shows one in six), of the site chosen "
        "or of each site and all together; comma-separated, UTF-8 for Excel.",
        "download.help": "The published rows shown above, in long format; comma-separated, UTF-8 for Excel.",
        "empty": "No indicator published yet — run `abord run`.",
        "error.warehouse": "Cannot read the data warehouse. Check that the PostgreSQL server is running "
        "and that ABORD_DATABASE_URL is right.",
        "error.outdated": "The data warehouse was published by an older version of abord: it lacks columns these "
        "dashboards read. Refresh it (`abord run`, or the Dagster job `refresh`).",
        "clause.provisional_value": "{value} (provisional)",
        "clause.payment_not_due": "provisional: payment not due yet",
        "clause.legend": "“provisional”: a clause's value to date, while the people who entered in the clause's "
        "year are not all measured yet; its payment is not due yet.",
        "quarter": "Q",
        "breakdown.all": "All",
        "breakdown.before": "Before entry",
        "breakdown.after": "After entry",
        "breakdown.clause": "{funder} — {indicator} (clause {clause})",
        "breakdown.clause_without_id": "{funder} — {indicator}",
        "breakdown.funder_sector": "{funder} — {sector}",
        "breakdown.source": "{name} ({code})",
        "clause.housing_retention_12m": "12-month housing retention",
        "clause.employment_in_work_12m": "In work or training at 12 months",
        "clause.health_emergency_visits_change": "Change in emergency visits",
        "unit.days": "{number}\u00a0days",
        "unit.hours": "{number}\u00a0h",
        "sector.housing": "Housing",
        "sector.health": "Health",
        "sector.justice": "Justice",
        "sector.shelter": "Emergency shelter",
        "sector.employment": "Work and training",
        "sector.tenants_voice": "Tenants' voice",
        "sector.peer_support": "Peer support",
        "sector.landlords": "Partner landlords",
        "sector.costs": "Costs",
        "sector.funders": "Funders",
        "sector.data_quality": "Data quality",
        "sector.support": "Support",
        "curve.chart_title": "Share of persons still housed, month by month since entry",
        "curve.month": "Months since entry",
        "curve.at_risk": "Persons followed",
        "curve.survival": "Still housed",
        "curve.explain": "Kaplan-Meier estimate: each person counts for as long as they are observed; a dashed "
        "line follows all sites together. A hidden month (fewer than 11 persons followed) leaves a gap in its "
        "line, never a number.",
        "curve.table_title": "{site}: every six months since entry",
        "curve.legend": "“< 11”: month hidden (fewer than 11 persons followed); “hidden”: cell hidden so that a "
        "small count cannot be worked out from the total. Their counts and values are not published.",
    },
}

# Partner sources (their contract's name), the breakdown of the data-quality indicators: named for the committee,
# the code kept beside the name for the steward, who finds the source under it (abord quarantine list). A source
# added since shows as its code.
SOURCE_NAMES: Final[dict[str, dict[str, str]]] = {
    "fr": {
        "employment_contracts": "Contrats de travail et de formation",
        "finance_conventions": "Conventions de financement",
        "finance_funders": "Financeurs",
        "finance_pfp_clauses": "Clauses de paiement au résultat",
        "health_encounters": "Recours à l'hôpital",
        "housing_participants": "Participants",
        "housing_support_contacts": "Contacts d'accompagnement",
        "housing_tenancies": "Baux du programme",
        "justice_events": "Événements judiciaires",
        "landlord_guarantee_claims": "Appels au fonds de garantie",
        "landlord_incidents": "Incidents signalés par les bailleurs",
        "landlord_leases": "Baux des bailleurs",
        "shelter_nights": "Nuitées d'hébergement d'urgence",
        "tenant_council": "Conseils des locataires",
        "tenant_survey": "Enquête auprès des locataires",
    },
    "en": {
        "employment_contracts": "Work and training contracts",
        "finance_conventions": "Funding agreements",
        "finance_funders": "Funders",
        "finance_pfp_clauses": "Pay-for-performance clauses",
        "health_encounters": "Hospital encounters",
        "housing_participants": "Participants",
        "housing_support_contacts": "Support contacts",
        "housing_tenancies": "Programme tenancies",
        "justice_events": "Justice events",
        "landlord_guarantee_claims": "Guarantee-fund claims",
        "landlord_incidents": "Incidents reported by landlords",
        "landlord_leases": "Landlords' leases",
        "shelter_nights": "Emergency shelter nights",
        "tenant_council": "Tenant councils",
        "tenant_survey": "Tenant survey",
    },
}
# Decimal places of the units shown as bare numbers; an unknown unit gets the rate's two.
UNIT_DIGITS: Final[dict[str, int]] = {"rate": 2, "score": 1}
# Sector codes of the catalogue in the order a reader meets them; each has a label "sector.<code>".
SECTORS: Final = (
    "housing",
    "health",
    "justice",
    "shelter",
    "employment",
    "tenants_voice",
    "peer_support",
    "landlords",
    "costs",
    "funders",
    "data_quality",
)
# The finance partner's convention sectors (a funder's 'funder:sector' breakdown) as catalogue sectors; support
# ('accompagnement') has a label but no indicators of its own.
CONVENTION_SECTORS: Final[dict[str, str]] = {
    "logement": "housing",
    "accompagnement": "support",
    "sante": "health",
    "justice": "justice",
    "hebergement": "shelter",
    "emploi": "employment",
}
_FRENCH_MARKS: Final = str.maketrans({",": NNBSP, ".": ","})
_MONTHS_EN: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def current_lang() -> Lang:
    """The language chosen in the sidebar (French until the user picks another)."""
    lang = st.session_state.get(SESSION_KEY, DEFAULT_LANG)
    return "en" if lang == "en" else "fr"


def t(key: str, lang: Lang | None = None, **fields: object) -> str:
    """The UI string `key` in `lang` (default: the current language), with `{fields}` filled in."""
    text = TEXT[lang or current_lang()][key]
    return text.format(**fields) if fields else text


def format_number(number: float, lang: Lang, digits: int = 0) -> str:
    """A number with thousands grouped: fr "1 234,5" (narrow no-break space, decimal comma), en "1,234.5"."""
    text = f"{float(number):,.{digits}f}"
    return text.translate(_FRENCH_MARKS) if lang == "fr" else text


def format_percent(share: float | None, lang: Lang, digits: int = 1) -> str:
    """A share 0..1 as a percentage: fr "85,3 %" (non-breaking space), en "85.3%"."""
    # None, NaN and pd.NA all stand for a cell the warehouse left empty.
    if share is None or pd.isna(share):
        return NOT_AVAILABLE
    number = format_number(float(share) * 100, lang, digits)
    return f"{number}{NBSP}%" if lang == "fr" else f"{number}%"


def format_count(count: int | None, lang: Lang) -> str:
    """A whole number with thousands grouped: fr "1 234" (narrow no-break space), en "1,234"."""
    if count is None or pd.isna(count):
        return NOT_AVAILABLE
    return format_number(int(count), lang)


def format_euros(amount: float, lang: Lang) -> str:
    """Whole euros (numerators are rounded to the euro): fr "1 235 €", en "€1,235"; negative "-1 235 €"."""
    number = format_number(abs(amount), lang)
    sign = "-" if round(amount) < 0 else ""
    return f"{sign}{number}{NBSP}€" if lang == "fr" else f"{sign}€{number}"


def format_value(value: float | None, unit: str, lang: Lang) -> str:
    """A published value in its catalogue unit: percent "85,3 %", eur "1 235 €", days "45,3 jours",
    hours "18,4 h", rate (per person-year or per 100 tenancies, as the name says) "2,35", score "7,8",
    count "1 234" (one decimal when it is a mean, e.g. actions per session)."""
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    number = float(value)
    if unit == "percent":
        return format_percent(number, lang)
    if unit == "eur":
        return format_euros(number, lang)
    if unit in ("days", "hours"):
        return t(f"unit.{unit}", lang, number=format_number(number, lang, 1))
    if unit == "count":
        return format_number(number, lang, 0 if number.is_integer() else 1)
    return format_number(number, lang, UNIT_DIGITS.get(unit, 2))


def format_date(iso_date: str, lang: Lang) -> str:
    """'2024-12-31' as fr "31/12/2024", en "31 Dec 2024"."""
    year, month, day = iso_date[:10].split("-")
    if lang == "fr":
        return f"{day}/{month}/{year}"
    return f"{int(day)} {_MONTHS_EN[int(month) - 1]} {year}"


def format_cohort(cohort: str, lang: Lang) -> str:
    """A quarter 'YYYY-Qn' (an entry cohort, or a quarterly cell's period) as fr "2023-T1" (trimestre),
    en "2023-Q1"; 'all' as all cohorts."""
    if cohort == "all":
        return t("all_cohorts", lang)
    year, _, quarter = cohort.partition("-Q")
    return f"{year}-{t('quarter', lang)}{quarter}" if quarter else cohort


def format_site(site: str, lang: Lang) -> str:
    return t("all_sites", lang) if site == "all" else site


def format_sector(sector: str, lang: Lang) -> str:
    """A catalogue sector's label; a sector added to the catalogue before its label shows as its code."""
    return TEXT[lang].get(f"sector.{sector}", sector)


def _clause(breakdown: str) -> tuple[str, str, str] | None:
    """A pay-for-performance clause's funder, indicator and clause id from its 'funder:indicator:clause', or None
    for another breakdown ('funder:sector'). A clause loaded before clause ids were kept is 'funder:indicator'
    until the finance partner's next extract: known by its indicator, its id empty."""
    funder, _, rest = breakdown.partition(":")
    indicator, has_id, clause = rest.partition(":")
    return (funder, indicator, clause) if has_id or f"clause.{indicator}" in TEXT[DEFAULT_LANG] else None


def is_clause(breakdown: str) -> bool:
    """Whether a breakdown is a pay-for-performance clause's ('funder:sector' is not)."""
    return _clause(breakdown) is not None


def format_breakdown(breakdown: str, lang: Lang) -> str:
    """'before' / 'after' entry and the 'all' total translated; a clause as its funder, its indicator's name and
    the partner's clause id (which tells tiers apart); a funder's 'funder:sector' as its funder and its sector's
    name; a partner source by its name and code; landlord-kind codes as-is. A code the dashboards do not know
    shows as-is."""
    if clause_parts := _clause(breakdown):
        funder, indicator, clause = clause_parts
        name = TEXT[lang].get(f"clause.{indicator}", indicator)
        return t(
            "breakdown.clause" if clause else "breakdown.clause_without_id",
            lang,
            funder=funder,
            indicator=name,
            clause=clause,
        )
    funder, is_funder, sector = breakdown.partition(":")
    if is_funder:
        name = format_sector(CONVENTION_SECTORS[sector], lang) if sector in CONVENTION_SECTORS else sector
        return t("breakdown.funder_sector", lang, funder=funder, sector=name)
    if breakdown in SOURCE_NAMES[lang]:
        return t("breakdown.source", lang, name=SOURCE_NAMES[lang][breakdown], code=breakdown)
    return TEXT[lang].get(f"breakdown.{breakdown}", breakdown)
