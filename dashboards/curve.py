"""The time-housed curve (Kaplan-Meier), catalogued as an indicator but published month by month in its own
table (published.retention_curve): its chart by site, and its table at half-yearly checkpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import pandas as pd
import streamlit as st

from dashboards import charts, data, frames, widgets
from dashboards.i18n import NOT_AVAILABLE, Lang, format_count, format_percent, format_site, t

INDICATOR: Final = "housing_time_housed_curve"
# Every month (up to 84 a site) would drown the table; the chart shows them all.
CHECKPOINT_MONTHS: Final = 6
# No events column: published per month, a checkpoint's would read as the six months' losses.
COLUMNS: Final = {"time_months": "curve.month", "at_risk": "curve.at_risk", "survival": "curve.survival"}


def render(lang: Lang) -> None:
    """The curve for the site chosen (with the all-sites line beside it) or every site, at an observation end."""
    try:
        points = data.retention_curve()
    except data.WarehouseError as error:
        widgets.warehouse_error(error)
        return
    if not frames.periods(points):
        st.info(t("indicators.no_values"), icon=":material/info:")
        return
    site, period = widgets.site_and_period(points, lang, "curve")
    shown = points[points["period"] == period]
    if site != frames.ALL:
        shown = shown[shown["site"].isin([site, frames.ALL])]
    plotted = _chart_rows(shown, lang)
    if plotted["survival"].notna().any():
        every_site = [format_site(code, lang) for code in frames.sites(points)]
        chart = charts.survival_by_month(plotted, lang, every_site)
        st.altair_chart(chart, width="stretch", alt=t("curve.chart_title"))
    else:
        st.info(t("chart.empty"))
    st.caption(t("curve.explain"))
    checkpoints = shown[(shown["site"] == site) & (shown["time_months"] % CHECKPOINT_MONTHS == 0)]
    st.subheader(t("curve.table_title", site=format_site(site, lang)))
    records = checkpoints.to_dict("records")
    table = {t(header, lang): [_text(row, field, lang) for row in records] for field, header in COLUMNS.items()}
    st.table(pd.DataFrame(table), hide_index=True)
    st.caption(t("curve.legend"))
    widgets.download(_extract_rows(points, period, site), lang, INDICATOR, site, period, "curve")


def _extract_rows(points: pd.DataFrame, period: str, site: str) -> pd.DataFrame:
    # Every month of the site chosen, or of every site then all sites together, as the other extracts select,
    # under the curve's indicator code.
    rows = points[points["period"] == period]
    if site != frames.ALL:
        rows = rows[rows["site"] == site]
    order = rows.assign(_all_sites=rows["site"] == frames.ALL).sort_values(["_all_sites", "site", "time_months"])
    return order.drop(columns="_all_sites").assign(indicator_code=INDICATOR).reset_index(drop=True)


def _text(row: Mapping[str, Any], field: str, lang: Lang) -> str:
    """A month's field as shown; a hidden month says why under 'at risk' ("< 11", or a word for one hidden so that
    a small one cannot be recovered, as an indicator's cell does) and a dash elsewhere, never a number."""
    if field == "time_months":
        return str(row[field])
    if frames.is_hidden(row):
        return frames.hidden_label(row.get("suppression_reason"), lang) if field == "at_risk" else NOT_AVAILABLE
    return format_percent(row[field], lang) if field == "survival" else format_count(row[field], lang)


def _chart_rows(shown: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    # One point a site and month; a hidden month keeps its place with no value, so its line breaks there.
    records = shown.to_dict("records")
    return pd.DataFrame(
        {
            "time_months": shown["time_months"].to_numpy(),
            "site_label": [format_site(row["site"], lang) for row in records],
            "survival": [None if frames.is_hidden(row) else float(row["survival"]) for row in records],
            "survival_label": [_text(row, "survival", lang) for row in records],
            "at_risk_label": [_text(row, "at_risk", lang) for row in records],
        }
    ).astype({"survival": float})
