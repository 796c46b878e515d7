"""Pure shaping of published long-format rows into what a page shows: selections, tables, chart data."""

from __future__ import annotations

import pandas as pd

from dashboards.i18n import (
    NOT_AVAILABLE,
    SUPPRESSED,
    Lang,
    format_cohort,
    format_count,
    format_percent,
    format_site,
    t,
)

ALL = "all"


def periods(values: pd.DataFrame) -> list[str]:
    """Published observation ends, latest first (the default a reader expects)."""
    return sorted(values["period"].unique(), reverse=True)


def sites(values: pd.DataFrame) -> list[str]:
    return sorted(site for site in values["site"].unique() if site != ALL)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    # Sites alphabetically with the all-sites total last; within a site, cohorts in time order, total last.
    keys = frame.assign(_site_all=frame["site"] == ALL, _cohort_all=frame["cohort"] == ALL)
    keys = keys.sort_values(["_site_all", "site", "_cohort_all", "cohort"], kind="stable")
    return keys.drop(columns=["_site_all", "_cohort_all"]).reset_index(drop=True)


def _hidden_flag(rows: pd.DataFrame) -> pd.Series:
    # An unknown suppression flag counts as suppressed: failing safe beats showing a small number.
    return rows["suppressed"].fillna(True).astype(bool)


def hidden_label(reason: object, lang: Lang) -> str:
    """What a suppressed cell shows: "< 11" for a small cell (and whenever the reason is unknown), or a word
    for a cell hidden only so that a small one cannot be recovered from the total."""
    return t("cell.complementary", lang) if reason == "complementary" else SUPPRESSED


def select(values: pd.DataFrame, period: str, site: str = ALL) -> pd.DataFrame:
    """The published rows shown for one period and site choice (every site and the totals for 'all')."""
    rows = values[(values["period"] == period) & (values["breakdown"] == ALL)]
    if site != ALL:
        rows = rows[rows["site"] == site]
    return _ordered(rows)


def overall(values: pd.DataFrame, period: str, site: str = ALL) -> pd.Series | None:
    """The all-cohorts row of the selection (site='all' gives the programme-wide value)."""
    rows = select(values, period, site)
    rows = rows[(rows["site"] == site) & (rows["cohort"] == ALL)]
    return None if rows.empty else rows.iloc[0]


def display_table(rows: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Rows as formatted text; a suppressed cell shows why it is hidden and never its numbers."""
    suppressed = _hidden_flag(rows)
    reasons = rows["suppression_reason"] if "suppression_reason" in rows else [None] * len(rows)
    return pd.DataFrame(
        {
            t("col.site", lang): [format_site(s, lang) for s in rows["site"]],
            t("col.cohort", lang): [format_cohort(c, lang) for c in rows["cohort"]],
            t("col.persons", lang): [
                hidden_label(reason, lang) if hidden else format_count(n, lang)
                for hidden, reason, n in zip(suppressed, reasons, rows["persons"], strict=True)
            ],
            t("col.retained", lang): [
                NOT_AVAILABLE if hidden else format_count(n, lang)
                for hidden, n in zip(suppressed, rows["numerator"], strict=True)
            ],
            t("col.rate", lang): [
                NOT_AVAILABLE if hidden else format_percent(v, lang)
                for hidden, v in zip(suppressed, rows["value"], strict=True)
            ],
        }
    )


def chart_source(values: pd.DataFrame, period: str, site: str = ALL) -> pd.DataFrame:
    """Per-cohort rows behind the chart: the chosen site(s) plus the all-sites line for reference."""
    rows = select(values, period, ALL)
    rows = rows[rows["cohort"] != ALL]
    return rows if site == ALL else rows[rows["site"].isin([site, ALL])]


def _hidden(rows: pd.DataFrame) -> pd.Series:
    # Off the chart: suppressed cells, and any cell without a value (never drawn as zero).
    return _hidden_flag(rows) | rows["value"].isna()


def chart_rows(source: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Rates to plot with their labels; suppressed cells are left out, not drawn as zero."""
    rows = source[~_hidden(source)]
    return pd.DataFrame(
        {
            "cohort": rows["cohort"].to_numpy(),
            "cohort_label": [format_cohort(c, lang) for c in rows["cohort"]],
            "site_label": [format_site(s, lang) for s in rows["site"]],
            "value": rows["value"].astype(float).to_numpy(),
            "rate_label": [format_percent(v, lang) for v in rows["value"]],
            "persons_label": [format_count(n, lang) for n in rows["persons"]],
        }
    )


def suppressed_cells(source: pd.DataFrame, lang: Lang) -> list[str]:
    """Labels ("Marseille 2022-T1") of the cells left off the chart, to say so under it."""
    rows = source[_hidden(source)]
    return [
        f"{format_site(site, lang)} {format_cohort(cohort, lang)}"
        for site, cohort in zip(rows["site"], rows["cohort"], strict=True)
    ]
