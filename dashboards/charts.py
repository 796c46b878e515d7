"""Altair charts for indicator pages, with axis numbers in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import pandas as pd

from dashboards.i18n import NBSP, Lang, t

# Colour-blind-safe categorical colours (Okabe-Ito) for sites (and breakdowns); the all-sites reference line is grey.
SITE_COLOURS: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
ALL_SITES_COLOUR: Final = "#6b7280"

# d3-format locales: Vega formats axis ticks itself, so "85 %" needs the French locale handed to it, and an
# amount's axis ("$" format) the programme's currency, the euro in both languages.
NUMBER_LOCALES: Final[dict[str, dict[str, Any]]] = {
    "fr": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", f"{NBSP}€"],
        "percent": f"{NBSP}%",
    },
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["€", ""]},
}


def rate_by_cohort(rows: pd.DataFrame, lang: Lang, every_site: Sequence[str] = ()) -> alt.Chart:
    """One line per site across entry quarters, the all-sites line dashed; tooltips pre-formatted.

    `every_site` (labels, in order) fixes each site's colour, so filtering to one site keeps its colour.
    """
    return (
        alt.Chart(rows, title=t("chart.title", lang))
        # A hidden cohort (no value) breaks its site's line, as a hidden quarter does in value_by_quarter.
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=_quarter_axis(rows, "cohort", t("chart.x", lang)),
            y=_value_axis("percent", t("chart.y", lang)),
            color=_site_colour(rows, lang, every_site),
            strokeDash=_all_sites_dashed(lang),
            tooltip=_tooltips(lang, site_label="col.site", cohort_label="chart.x", rate_label="col.rate"),
        )
        .configure(locale=alt.Locale(number=NUMBER_LOCALES[lang]))
    )


def survival_by_month(rows: pd.DataFrame, lang: Lang, every_site: Sequence[str]) -> alt.Chart:
    """The time-housed curve: one line per site over the months since entry, the all-sites line dashed; a hidden
    month (no value) breaks its line. Tooltips pre-formatted (survival_label, at_risk_label)."""
    return (
        alt.Chart(rows, title=t("curve.chart_title", lang))
        .mark_line(invalid="break-paths-show-domains")
        .encode(
            x=alt.X("time_months:Q", title=t("curve.month", lang)),
            # The whole 0-100 % range: the curve's fall from 100 % at entry is what it shows.
            y=alt.Y(
                "survival:Q",
                title=t("curve.survival", lang),
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format=".0%"),
            ),  # fmt: skip
            color=_site_colour(rows, lang, every_site),
            strokeDash=_all_sites_dashed(lang),
            tooltip=[
                alt.Tooltip("site_label:N", title=t("col.site", lang)),
                alt.Tooltip("time_months:Q", title=t("curve.month", lang)),
                alt.Tooltip("survival_label:N", title=t("curve.survival", lang)),
                alt.Tooltip("at_risk_label:N", title=t("curve.at_risk", lang)),
            ],
        )
        .configure(locale=alt.Locale(number=NUMBER_LOCALES[lang]))
    )


def _site_colour(rows: pd.DataFrame, lang: Lang, every_site: Sequence[str]) -> alt.Color:
    # Each site keeps its colour from `every_site` (labels, in order) whichever are shown; all sites grey, last.
    all_sites = t("all_sites", lang)
    present = set(rows["site_label"])
    palette = list(every_site) or sorted(present - {all_sites})
    sites = [site for site in palette if site in present and site != all_sites]
    colours = [SITE_COLOURS[palette.index(site) % len(SITE_COLOURS)] for site in sites]
    if all_sites in present:
        sites, colours = [*sites, all_sites], [*colours, ALL_SITES_COLOUR]
    return alt.Color("site_label:N", title=t("col.site", lang), scale=alt.Scale(domain=sites, range=colours))


def _all_sites_dashed(lang: Lang) -> alt.StrokeDash:
    return alt.condition(alt.datum.site_label == t("all_sites", lang), alt.value([5, 3]), alt.value([1, 0]))


def _quarter_axis(rows: pd.DataFrame, field: str, title: str) -> alt.X:
    # Quarters ('YYYY-Qn' in `field`, shown as its '_label' column) in time order, labels upright.
    order = [label for _, label in sorted(set(zip(rows[field], rows[f"{field}_label"], strict=True)))]
    return alt.X(f"{field}_label:O", sort=order, title=title, axis=alt.Axis(labelAngle=0))


def _tooltips(lang: Lang, **titles: str) -> list[alt.Tooltip]:
    # Pre-formatted text columns, each with the key of its title, then the persons.
    shown = [alt.Tooltip(f"{column}:N", title=t(key, lang)) for column, key in titles.items()]
    return [*shown, alt.Tooltip("persons_label:N", title=t("chart.persons", lang))]


def _value_axis(unit: str, title: str) -> alt.Y:
    if unit == "percent":
        # Rates sit high (70-95 %): a zero baseline would flatten the differences the committee looks
        # for; the axis labels show where it starts.
        return alt.Y(
            "value:Q", title=title, scale=alt.Scale(zero=False, domainMax=1, nice=True), axis=alt.Axis(format=".0%")
        )
    if unit == "eur":  # whole euros, as the tables show them: "12 345 €", "€12,345"
        return alt.Y("value:Q", title=title, axis=alt.Axis(format="$,.0f"))
    # Other units (days, rates per person-year...) as plain grouped numbers; tooltips carry the unit.
    return alt.Y("value:Q", title=title, axis=alt.Axis(format=",~f"))


def value_by_quarter(rows: pd.DataFrame, lang: Lang, unit: str) -> alt.Chart:
    """One line per breakdown (or the whole, without a legend) across the quarters; a hidden quarter (no value)
    breaks its line, and its quarter stays on the axis."""
    breakdowns = list(dict.fromkeys(rows["breakdown_label"]))  # in the rows' order: before, after, the whole
    # A lone breakdown (the whole) needs neither a legend nor a tooltip line saying so.
    lone = len(breakdowns) == 1
    titles = {"quarter_label": "col.quarter", "breakdown_label": "col.breakdown", "value_label": "col.value"}
    if lone:
        del titles["breakdown_label"]
    return (
        alt.Chart(rows, title=t("quarters.chart_title", lang))
        # Break each line at a hidden quarter rather than joining its neighbours across it, whatever
        # Vega-Lite's default for missing values.
        .mark_line(point=True, invalid="break-paths-show-domains")
        .encode(
            x=_quarter_axis(rows, "quarter", t("col.quarter", lang)),
            y=_value_axis(unit, t("col.value", lang)),
            color=alt.Color(
                "breakdown_label:N",
                title=t("col.breakdown", lang),
                scale=alt.Scale(domain=breakdowns, range=list(SITE_COLOURS[: len(breakdowns)])),
                legend=None if lone else alt.Undefined,
            ),
            tooltip=_tooltips(lang, **titles),
        )
        .configure(locale=alt.Locale(number=NUMBER_LOCALES[lang]))
    )
