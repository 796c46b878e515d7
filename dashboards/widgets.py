"""What every indicator page shows alike: the site and period choice, the CSV download, and the quarter after
quarter section."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final, Literal

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboards import charts, exports, frames
from dashboards.data import CURVE_COLUMNS, VALUE_COLUMNS, OutdatedWarehouseError, WarehouseError
from dashboards.i18n import Lang, format_cohort, format_date, format_site, t

Extract = Literal["cells", "quarters", "curve"]
# Each extract's button label and help keys, and its published columns; every extract opens on the code of the
# indicator it holds, so that a file saved out of the app still says what it is (the curve's table has no such
# column: the page adds it).
EXTRACTS: Final[dict[str, tuple[str, str, Sequence[str]]]] = {
    "cells": ("download.label", "download.help", VALUE_COLUMNS),
    "quarters": ("download.quarters_label", "download.quarters_help", VALUE_COLUMNS),
    "curve": ("download.label", "download.curve_help", ("indicator_code", *CURVE_COLUMNS)),
}


def choice(
    where: DeltaGenerator,
    label: str,
    codes: Sequence[str],
    name: Callable[[str], str],
    lang: Lang,
    page: str,
    param: str,
    linked: str | None = None,
) -> str:
    """A selectbox of codes shown by `name` in `lang`, keyed `<page>_<param>`: the code chosen stays chosen across a
    language switch, shown in the new language, and travels in the URL as ?`param`=code, so a shared link opens on
    it. The first code, the default, is left out of the URL, as French is: a link without a period follows the
    latest one published. `linked`, when given, is the code a link opens on in place of ?`param`'s (the indicators
    page's sector, which the link's indicator may imply)."""
    key, remembered = f"{page}_{param}", f"chosen.{param}"
    # Binding the selectbox to the URL would put its label there, which changes with the language; its code does
    # not. The choice is the code the reader (or the link) chose, remembered across pages, when the page offers it,
    # else the default: a default merely shown is never remembered, so it neither replaces a choice made on another
    # page nor stays chosen once a newer period is published (a link would then pin the month that was latest).
    # As Streamlit does for a bound widget, the URL wins when the page opens and on Back or Forward (each choice
    # written below is a step in the browser's history); a page switch keeps only bound parameters in the URL, and a
    # code the page does not offer (stale, or mistyped) is passed over, and leaves the URL below.
    ctx = get_script_run_ctx()
    going_back = ctx is not None and ctx.is_history_navigation
    if going_back or key not in st.session_state:
        linked = linked or st.query_params.get(param)
        if linked in codes:
            st.session_state[remembered] = linked
        elif going_back:
            st.session_state.pop(remembered, None)
    wanted = st.session_state.get(remembered)
    target = wanted if wanted in codes else next(iter(codes), None)
    if target is not None and st.session_state.get(key) != target:
        st.session_state[key] = target
    # Keyed, a selectbox keeps its identity when its labels change, and the browser keeps the label it last
    # showed: French after a switch to English, and back in French it lost the choice. Set again through Session
    # State (to the code it holds), the choice is sent to the browser under its label in the new language.
    shown_in = f"{key}.lang"
    if key in st.session_state and st.session_state.get(shown_in) != lang:
        st.session_state[key] = st.session_state[key]
    st.session_state[shown_in] = lang
    chosen = where.selectbox(
        label, codes, format_func=name, key=key, on_change=_remember, args=(key, remembered, codes[:1])
    )
    in_link = None if chosen in codes[:1] else chosen
    if st.query_params.get(param) != in_link:
        if in_link is None:
            del st.query_params[param]
        else:
            st.query_params[param] = in_link
    return chosen


def _remember(key: str, remembered: str, default: Sequence[str]) -> None:
    """Remembers the code the reader chose, unless it is the default, which then follows the codes offered."""
    if st.session_state[key] in default:
        st.session_state.pop(remembered, None)
    else:
        st.session_state[remembered] = st.session_state[key]


def warehouse_error(error: WarehouseError) -> None:
    """The page's message for a warehouse it cannot read: a refresh to run when one published by an older abord
    lacks a column the page reads (the server is fine), else the server and URL to check."""
    key = "error.outdated" if isinstance(error, OutdatedWarehouseError) else "error.warehouse"
    st.error(t(key), icon=":material/error:")


def site_and_period(values: pd.DataFrame, lang: Lang, page: str) -> tuple[str, str]:
    """The site (or all) and observation end chosen, in the URL as ?site= and ?period=; `page` keys each page's
    selectboxes apart."""
    left, right = st.columns(2)
    site = choice(
        left,
        t("filter.site"),
        [frames.ALL, *frames.sites(values)],
        lambda code: format_site(code, lang),
        lang,
        page,
        "site",
    )
    period = choice(
        right, t("filter.period"), frames.periods(values), lambda iso: format_date(iso, lang), lang, page, "period"
    )
    st.caption(t("period.caption", date=format_date(period, lang)))
    return site, period


def download(
    shown: pd.DataFrame, lang: Lang, indicator_code: str, site: str, period: str, extract: Extract = "cells"
) -> None:
    """The rows shown for a site (or all) as a CSV extract (suppressed cells blank): an indicator's cells, its
    quarterly rows, or the time-housed curve's months."""
    label, help_key, columns = EXTRACTS[extract]
    st.download_button(
        t(label),
        data=exports.csv_bytes(shown, lang, columns),
        file_name=exports.csv_file_name(indicator_code, site, period, quarters=extract == "quarters"),
        mime="text/csv",
        help=t(help_key),
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
    download(rows, lang, indicator_code, site, observed, "quarters")
