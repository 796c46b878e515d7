"""What every indicator page shows alike: the site and period choice, the CSV download, and the quarter after
quarter section."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, exports, frames
from dashboards.i18n import Lang, format_cohort, format_date, format_site, t


def site_and_period(values: pd.DataFrame, lang: Lang, page: str) -> tuple[str, str]:
    """The site (or all) and observation end chosen; `page` keeps each page's choices its own."""
    left, right = st.columns(2)
    # Options are codes, labels are translated: a choice survives a language switch.
    site = left.selectbox(
        t("filter.site"),
        [frames.ALL, *frames.sites(values)],
        format_func=lambda code: format_site(code, lang),
        key=f"{page}_site",
    )
    period = right.selectbox(
        t("filter.period"),
        frames.periods(values),
        format_func=lambda iso: format_date(iso, lang),
        key=f"{page}_period",
    )
    st.caption(t("period.caption", date=format_date(period, lang)))
    return site, period


def download(shown: pd.DataFrame, lang: Lang, indicator_code: str, period: str, quarters: bool = False) -> None:
    """The rows shown as a CSV extract (suppressed cells blank); `quarters` for the quarterly rows."""
    st.download_button(
        t("download.quarters_label" if quarters else "download.label"),
        data=exports.csv_bytes(shown, lang),
        file_name=exports.csv_file_name(indicator_code, period, quarters),
        mime="text/csv",
        help=t("download.quarters_help" if quarters else "download.help"),
        icon=":material/download:",
        on_click="ignore",  # a download needs no rerun
    )


def quarter_after_quarter(values: pd.DataFrame, lang: Lang, site: str, indicator_code: str, unit: str) -> None:
    """The indicator's quarterly cells for the site chosen (or all sites together): a line per breakdown, the
    table and its extract. Nothing when the indicator has no quarterly cells."""
    rows = frames.quarterly(values, site)
    if rows.empty:
        return
    # Quarterly cells carry no observation end of their own: they count up to the latest one published.
    observed = frames.periods(values)[0]
    st.subheader(t("quarters.title"))
    st.markdown(t("quarters.explain"))
    points = frames.quarter_chart_rows(rows, lang, unit)
    if points["value"].notna().any():
        chart = charts.value_by_quarter(points, lang, unit)
        st.altair_chart(chart, width="stretch", alt=t("quarters.chart_title"))
    else:
        st.info(t("chart.empty"))
    latest = format_cohort(frames.latest_quarter(rows), lang)
    st.caption(t("quarters.latest", quarter=latest, date=format_date(observed, lang)))
    st.table(frames.display_table(rows, lang, frames.quarter_columns(rows), unit), hide_index=True)
    st.caption(t("table.legend"))
    download(rows, lang, indicator_code, observed, quarters=True)
