"""Every published indicator: sector, indicator, site and period, with its cells and CSV extract."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import curve, data, frames, widgets
from dashboards.i18n import (
    Lang,
    current_lang,
    format_breakdown,
    format_sector,
    is_clause,
    t,
)

# Two cards a row, each labelled by its breakdown alone (its help says where it puts entry cohorts together): at
# 1280 px, four a row cut a funder's 'METRO-LYON — Hébergement d'urgence' to 'Toutes cohortes — M…', two funders'
# cards alike.
METRICS_PER_ROW = 2


def render() -> None:
    lang = current_lang()
    st.title(t("indicators.title"))
    try:
        catalogue = data.catalogue() if data.published_ready() else None
    except data.WarehouseError as error:
        widgets.warehouse_error(error)
        return
    if catalogue is None or catalogue.empty:
        st.info(t("empty"), icon=":material/info:")
        return

    entries = catalogue.set_index("indicator_code")
    left, right = st.columns(2)
    sector = widgets.choice(
        left,
        t("filter.sector"),
        frames.sectors(catalogue),
        lambda code: format_sector(code, lang),
        lang,
        "indicators",
        "sector",
        linked=_linked_sector(catalogue),
    )
    code = widgets.choice(
        right,
        t("filter.indicator"),
        frames.indicators_in(catalogue, sector),
        lambda code: entries.at[code, f"name_{lang}"],
        lang,
        "indicators",
        "indicator",
    )
    entry = entries.loc[code]
    st.header(entry[f"name_{lang}"])
    st.markdown(entry[f"definition_{lang}"])
    if code == curve.INDICATOR:  # published month by month in its own table, not as cells
        curve.render(lang)
        return
    try:
        if code in (data.CLAUSE_VALUE, data.PAYMENT_DUE):  # a value to date reads as such, not as final or missing
            values = frames.with_provisional(data.indicator_values(data.CLAUSE_VALUE, data.PAYMENT_DUE), code)
        else:
            values = data.indicator_values(code)
    except data.WarehouseError as error:
        widgets.warehouse_error(error)
        return
    if not frames.periods(values):  # nothing, or quarterly cells without their cumulative ones
        st.info(t("indicators.no_values"), icon=":material/info:")
        return

    site, period = widgets.site_and_period(values, lang, "indicators")

    _metrics(frames.totals(values, period, site), entry["unit"], lang, frames.has_cohorts(values))
    shown = frames.select(values, period, site, breakdown=None)
    st.subheader(t("indicators.table_title"))
    st.table(frames.display_table(shown, lang, frames.INDICATOR_COLUMNS, entry["unit"]), hide_index=True)
    st.caption(t("table.legend"))
    if frames.has_provisional(shown):
        st.caption(t("clause.legend"))
    widgets.download(frames.published(shown), lang, code, site, period)
    widgets.quarter_after_quarter(values, lang, site, code, entry["unit"])


def _linked_sector(catalogue: pd.DataFrame) -> str | None:
    """The sector a link opens on: the one it names (the default when it names none, or one not offered), unless
    that one does not hold the indicator the link names, as a link written by hand or in a funder's report may not;
    then the first sector holding it, whose list offers it (the other list dropped it for its own first indicator).
    An unknown indicator changes nothing: it falls back quietly, as any code not offered."""
    sectors = frames.sectors(catalogue)
    named, indicator = st.query_params.get("sector"), st.query_params.get("indicator")
    holding = [sector for sector in sectors if indicator in frames.indicators_in(catalogue, sector)]
    if not holding:
        return named
    opened_on = named if named in sectors else sectors[0]
    return named if opened_on in holding else holding[0]


def _metrics(totals: pd.DataFrame, unit: str, lang: Lang, by_cohort: bool) -> None:
    """One card per all-cohorts row: the overall value, or before/after (or per funder) when that is how the
    indicator is published. A suppressed total shows why it is hidden, never a number. Clauses get no card: each
    is a row of the table already, and its label (the clause id telling tiers apart) would be cut off in a card.
    Only an indicator published `by_cohort` says it puts entry cohorts together: a funder's amounts or a source's
    quarantined rows have no cohort to speak of."""
    records = [row for row in totals.to_dict("records") if not is_clause(row["breakdown"])]
    overall_label, help_text = (t("metric.value"), t("metric.help")) if by_cohort else (t("breakdown.all"), None)
    for start in range(0, len(records), METRICS_PER_ROW):
        chunk = records[start : start + METRICS_PER_ROW]
        for column, row in zip(st.columns(METRICS_PER_ROW)[: len(chunk)], chunk, strict=True):
            breakdown = row["breakdown"]
            label = overall_label if breakdown == frames.ALL else format_breakdown(breakdown, lang)
            shown = (
                frames.hidden_label(row.get("suppression_reason"), lang)
                if frames.is_hidden(row)
                else frames.cell_text(row, "value", lang, unit)
            )
            column.metric(label, shown, help=help_text, border=True)


render()
