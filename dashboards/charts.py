"""Altair charts for indicator pages, with axis numbers in the reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

import altair as alt
import pandas as pd

from dashboards.i18n import NBSP, Lang, t

# Colour-blind-safe categorical colours (Okabe-Ito) for sites; the all-sites reference line is grey.
SITE_COLOURS: Final = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
ALL_SITES_COLOUR: Final = "#6b7280"

# d3-format locales: Vega formats axis ticks itself, so "85 %" needs the French locale handed to it.
NUMBER_LOCALES: Final[dict[str, dict[str, Any]]] = {
    "fr": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", f"{NBSP}€"],
        "percent": f"{NBSP}%",
    },
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""]},
}


def rate_by_cohort(rows: pd.DataFrame, lang: Lang, every_site: Sequence[str] = ()) -> alt.Chart:
    """One line per site across entry quarters, the all-sites line dashed; tooltips pre-formatted.

    `every_site` (labels, in order) fixes each site's colour, so filtering to one site keeps its colour.
    """
    cohort_order = [label for _, label in sorted(set(zip(rows["cohort"], rows["cohort_label"], strict=True)))]
    all_sites = t("all_sites", lang)
    present = set(rows["site_label"])
    palette = list(every_site) or sorted(present - {all_sites})
    sites = [site for site in palette if site in present and site != all_sites]
    colours = [SITE_COLOURS[palette.index(site) % len(SITE_COLOURS)] for site in sites]
    if all_sites in present:
        sites, colours = [*sites, all_sites], [*colours, ALL_SITES_COLOUR]
    return (
        alt.Chart(rows, title=t("chart.title", lang))
        .mark_line(point=True)
        .encode(
            x=alt.X("cohort_label:O", sort=cohort_order, title=t("chart.x", lang), axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "value:Q",
                title=t("chart.y", lang),
                # Rates sit high (70-95 %): a zero baseline would flatten the site differences the
                # committee looks for; the axis labels show where it starts.
                scale=alt.Scale(zero=False, domainMax=1, nice=True),
                axis=alt.Axis(format=".0%"),
            ),
            color=alt.Color(
                "site_label:N",
                title=t("col.site", lang),
                scale=alt.Scale(domain=sites, range=colours),
            ),
            strokeDash=alt.condition(alt.datum.site_label == all_sites, alt.value([5, 3]), alt.value([1, 0])),
            tooltip=[
                alt.Tooltip("site_label:N", title=t("col.site", lang)),
                alt.Tooltip("cohort_label:N", title=t("chart.x", lang)),
                alt.Tooltip("rate_label:N", title=t("col.rate", lang)),
                alt.Tooltip("persons_label:N", title=t("chart.persons", lang)),
            ],
        )
        .configure(locale=alt.Locale(number=NUMBER_LOCALES[lang]))
    )
