"""12-month housing retention, by site and entry quarter (published.indicator_values)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, frames, widgets
from dashboards.i18n import (
    NOT_AVAILABLE,
    Lang,
    current_lang,
    format_site,
    t,
)

INDICATOR = "housing_retention_12m"


def render() -> None:
    lang = current_lang()
    try:
        ready = data.published_ready()
        entry = data.catalogue_entry(INDICATOR) if ready else None
        values = data.indicator_values(INDICATOR) if ready else None
    except data.WarehouseError as error:
        st.title(t("retention.fallback_title"))
        widgets.warehouse_error(error)
        return

    st.title((entry or {}).get(f"name_{lang}") or t("retention.fallback_title"))
    if entry and entry.get(f"definition_{lang}"):
        st.markdown(entry[f"definition_{lang}"])
    if values is None or not frames.periods(values):
        st.info(t("empty"), icon=":material/info:")
        return

    site, period = widgets.site_and_period(values, lang, "retention")

    _metrics(frames.overall(values, period, site), lang)
    every_site = [format_site(code, lang) for code in frames.sites(values)]
    _chart(frames.chart_source(values, period, site), lang, every_site)

    shown = frames.select(values, period, site)
    st.subheader(t("table.title"))
    st.table(frames.display_table(shown, lang), hide_index=True)
    st.caption(t("table.legend"))
    widgets.download(shown, lang, INDICATOR, site, period)


def _metrics(row: pd.Series | None, lang: Lang) -> None:
    rate, persons, retained = st.columns(3)
    fields = ("value", "persons", "numerator")
    if row is None:  # no all-cohorts row published for this selection
        shown = [NOT_AVAILABLE for _ in fields]
    else:  # a suppressed row shows why under persons, never a number
        shown = [frames.cell_text(row, field, lang) for field in fields]
    rate.metric(t("metric.rate"), shown[0], help=t("metric.help"), border=True)
    persons.metric(t("metric.persons"), shown[1], border=True)
    retained.metric(t("metric.retained"), shown[2], border=True)


def _chart(source: pd.DataFrame, lang: Lang, every_site: list[str]) -> None:
    rows = frames.chart_rows(source, lang)
    if rows["value"].isna().all():
        st.info(t("chart.empty"))
    else:
        st.altair_chart(charts.rate_by_cohort(rows, lang, every_site), width="stretch", alt=t("chart.title"))
        st.caption(t("chart.quarter_after_quarter"))
    hidden = frames.suppressed_cells(source, lang)
    st.caption(t("chart.suppressed_some", cells=", ".join(hidden)) if hidden else t("chart.suppressed_none"))


render()
