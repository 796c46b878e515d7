"""12-month housing retention, by site and entry quarter (published.indicator_values)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, exports, frames
from dashboards.i18n import (
    NOT_AVAILABLE,
    Lang,
    current_lang,
    format_count,
    format_date,
    format_percent,
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
    except data.WarehouseError:
        st.title(t("retention.fallback_title"))
        st.error(t("error.warehouse"), icon=":material/error:")
        return

    st.title((entry or {}).get(f"name_{lang}") or t("retention.fallback_title"))
    if entry and entry.get(f"definition_{lang}"):
        st.markdown(entry[f"definition_{lang}"])
    if values is None or values.empty:
        st.info(t("empty"), icon=":material/info:")
        return

    left, right = st.columns(2)
    # Options are codes, labels are translated: a choice survives a language switch.
    site = left.selectbox(
        t("filter.site"),
        [frames.ALL, *frames.sites(values)],
        format_func=lambda code: format_site(code, lang),
        key="retention_site",
    )
    period = right.selectbox(
        t("filter.period"),
        frames.periods(values),
        format_func=lambda iso: format_date(iso, lang),
        key="retention_period",
    )
    st.caption(t("period.caption", date=format_date(period, lang)))

    _metrics(frames.overall(values, period, site), lang)
    every_site = [format_site(code, lang) for code in frames.sites(values)]
    _chart(frames.chart_source(values, period, site), lang, every_site)

    shown = frames.select(values, period, site)
    st.subheader(t("table.title"))
    st.table(frames.display_table(shown, lang), hide_index=True)
    st.caption(t("table.legend"))
    st.download_button(
        t("download.label"),
        data=exports.csv_bytes(shown, lang),
        file_name=exports.csv_file_name(INDICATOR, period),
        mime="text/csv",
        help=t("download.help"),
        icon=":material/download:",
        on_click="ignore",  # a download needs no rerun
    )


def _metrics(row: pd.Series | None, lang: Lang) -> None:
    rate, persons, retained = st.columns(3)
    if row is None:  # no all-cohorts row published for this selection
        shown = (NOT_AVAILABLE, NOT_AVAILABLE, NOT_AVAILABLE)
    elif pd.isna(row["suppressed"]) or bool(row["suppressed"]):  # unknown flag: fail safe
        shown = (NOT_AVAILABLE, frames.hidden_label(row.get("suppression_reason"), lang), NOT_AVAILABLE)
    else:
        shown = (
            format_percent(row["value"], lang),
            format_count(row["persons"], lang),
            format_count(row["numerator"], lang),
        )
    rate.metric(t("metric.rate"), shown[0], help=t("metric.help"), border=True)
    persons.metric(t("metric.persons"), shown[1], border=True)
    retained.metric(t("metric.retained"), shown[2], border=True)


def _chart(source: pd.DataFrame, lang: Lang, every_site: list[str]) -> None:
    rows = frames.chart_rows(source, lang)
    if rows.empty:
        st.info(t("chart.empty"))
    else:
        st.altair_chart(charts.rate_by_cohort(rows, lang, every_site), width="stretch", alt=t("chart.title"))
    hidden = frames.suppressed_cells(source, lang)
    st.caption(t("chart.suppressed_some", cells=", ".join(hidden)) if hidden else t("chart.suppressed_none"))


render()
