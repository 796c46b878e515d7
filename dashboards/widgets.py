"""Controls every indicator page shows alike: the site and period choice, and the CSV download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import exports, frames
from dashboards.i18n import Lang, format_date, format_site, t


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


def download(shown: pd.DataFrame, lang: Lang, indicator_code: str, period: str) -> None:
    """The rows shown as a CSV extract (suppressed cells blank)."""
    st.download_button(
        t("download.label"),
        data=exports.csv_bytes(shown, lang),
        file_name=exports.csv_file_name(indicator_code, period),
        mime="text/csv",
        help=t("download.help"),
        icon=":material/download:",
        on_click="ignore",  # a download needs no rerun
    )
