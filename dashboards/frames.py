"""Pure shaping of published long-format rows into what a page shows: selections, tables, chart data."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

import pandas as pd

from dashboards.data import CLAUSE_VALUE, PAYMENT_DUE
from dashboards.i18n import (
    NOT_AVAILABLE,
    SECTORS,
    SUPPRESSED,
    Lang,
    format_breakdown,
    format_cohort,
    format_count,
    format_site,
    format_value,
    t,
)
from dashboards.ratios import shown_value

ALL = "all"
# A quarterly cell's period: its reporting quarter ('2025-Q3'; returns by the quarter their window closed, days
# by the quarter they fall in). Cumulative cells' periods are observation ends ('2025-09-30').
QUARTER: Final = re.compile(r"\d{4}-Q[1-4]")
OBSERVATION_END: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
# The published numbers of a row, all left out when it is suppressed.
NUMBER_COLUMNS: Final = ["numerator", "denominator", "value", "persons"]

# The cells keying a clause: a value and its payment due are the same clause's when all four are equal.
CLAUSE_KEYS: Final = ["period", "site", "cohort", "breakdown"]
# Table columns: the published column each shows -> the key of its header.
RETENTION_COLUMNS: dict[str, str] = {
    "site": "col.site",
    "cohort": "col.cohort",
    "persons": "col.persons",
    "numerator": "col.retained",
    "value": "col.rate",
}
INDICATOR_COLUMNS: dict[str, str] = {
    "site": "col.site",
    "cohort": "col.cohort",
    "breakdown": "col.breakdown",
    "persons": "col.persons",
    "numerator": "col.numerator",
    "denominator": "col.denominator",
    "value": "col.value",
}
# A quarterly cell's columns: its quarter, then the indicator table's own after site and cohort.
QUARTER_COLUMNS: dict[str, str] = {
    "period": "col.quarter",
    **{field: key for field, key in INDICATOR_COLUMNS.items() if field not in ("site", "cohort")},
}
# Before-entry then after-entry, other breakdowns by name, the 'all' total last.
_BREAKDOWN_RANK: dict[str, int] = {"before": 0, "after": 1, ALL: 3}


def sectors(catalogue: pd.DataFrame) -> list[str]:
    """Sector codes of the catalogue ('health;costs' counts in both), known ones in reading order."""
    found = {sector for field in catalogue["sectors"] for sector in str(field).split(";") if sector}
    return [s for s in SECTORS if s in found] + sorted(found - set(SECTORS))


def indicators_in(catalogue: pd.DataFrame, sector: str) -> list[str]:
    """Codes of the sector's indicators, in catalogue (code) order."""
    in_sector = catalogue["sectors"].map(lambda field: sector in str(field).split(";"))
    return catalogue.loc[in_sector, "indicator_code"].tolist()


def is_quarter(period: object) -> bool:
    """Whether a published period is a quarter label ('2025-Q3'), i.e. the row is a quarterly cell."""
    return QUARTER.fullmatch(str(period)) is not None


def periods(values: pd.DataFrame) -> list[str]:
    """Published observation ends, latest first (the default a reader expects); never a quarter label."""
    return sorted((p for p in values["period"].unique() if OBSERVATION_END.fullmatch(str(p))), reverse=True)


def sites(values: pd.DataFrame) -> list[str]:
    return sorted(site for site in values["site"].unique() if site != ALL)


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    # Sites alphabetically with the all-sites total last; within a site, cohorts in time order, total last;
    # within a cohort, periods (quarters) in time order; within a period, before entry then after, the total last.
    keys = frame.assign(
        _site_all=frame["site"] == ALL,
        _cohort_all=frame["cohort"] == ALL,
        _breakdown_rank=frame["breakdown"].map(lambda b: _BREAKDOWN_RANK.get(b, 2)),
    )
    order = ["_site_all", "site", "_cohort_all", "cohort", "period", "_breakdown_rank", "breakdown"]
    keys = keys.sort_values(order, kind="stable")
    return keys.drop(columns=["_site_all", "_cohort_all", "_breakdown_rank"]).reset_index(drop=True)


def hidden_label(reason: object, lang: Lang) -> str:
    """What a suppressed cell shows: "< 11" for a small cell (and whenever the reason is unknown), or a word
    for a cell hidden only so that a small one cannot be recovered from the total."""
    return t("cell.complementary", lang) if reason == "complementary" else SUPPRESSED


def is_hidden(row: Mapping[str, Any]) -> bool:
    """Whether one published row is suppressed."""
    # An unknown suppression flag counts as suppressed: failing safe beats showing a small number.
    flag = row["suppressed"]
    return bool(pd.isna(flag) or flag)


def hidden_flags(rows: pd.DataFrame) -> pd.Series:
    """is_hidden for every row, aligned on the rows' index."""
    return pd.Series([is_hidden(row) for row in rows.to_dict("records")], index=rows.index, dtype=bool)


def without_hidden_numbers(rows: pd.DataFrame, numbers: Sequence[str] = NUMBER_COLUMNS) -> pd.DataFrame:
    """A copy of the rows in which every suppressed row (or one with an unknown flag) has none of its `numbers`,
    even if it carried some."""
    frame = rows.copy()
    frame.loc[hidden_flags(frame), list(numbers)] = pd.NA
    return frame


def with_provisional(clauses: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of a clause indicator (`code`: CLAUSE_VALUE or PAYMENT_DUE) among `clauses`, the published rows of
    both read together (data.indicator_values), with a `provisional` flag for the clauses valued to date with no
    payment due cell (their year's entrants not all measured yet): their values to date are flagged; the payment
    due, which has no cell for them, gets a row each without numbers, so that a payment not due yet reads so rather
    than missing."""
    valued = clauses[clauses["indicator_code"] == CLAUSE_VALUE]
    due = clauses.loc[clauses["indicator_code"] == PAYMENT_DUE, CLAUSE_KEYS].drop_duplicates()
    provisional = valued[CLAUSE_KEYS].merge(due, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
    if code == CLAUSE_VALUE:
        return valued.assign(provisional=provisional).reset_index(drop=True)
    values = clauses[clauses["indicator_code"] == PAYMENT_DUE]
    pending = valued.loc[provisional, CLAUSE_KEYS].reindex(columns=values.columns)
    pending = pending.assign(indicator_code=code, suppressed=False).astype(values.dtypes)
    rows = pd.concat([values.assign(provisional=False), pending.assign(provisional=True)])
    return rows.reset_index(drop=True)


def published(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows the warehouse published, for an extract: without the payment due rows with_provisional added."""
    if "provisional" not in rows:
        return rows
    return rows[~(rows["provisional"] & (rows["indicator_code"] == PAYMENT_DUE))]


def has_provisional(rows: pd.DataFrame) -> bool:
    return "provisional" in rows and bool(rows["provisional"].any())


def cell_text(row: Mapping[str, Any], field: str, lang: Lang, unit: str = "percent") -> str:
    """One published field as shown: site, entry cohort or quarter, breakdown as labels; a suppressed row
    shows why under persons and a dash elsewhere, never a number; the value in its catalogue unit (unrounded
    from its numerator and denominator where it can be: ratios.shown_value), a numerator or denominator the
    catalogue says is in euros (its numerator_unit, denominator_unit) as euros, whatever the value's unit (the euros
    paid and committed behind a share paid), the other numbers as counts."""
    if field == "site":
        return format_site(str(row[field]), lang)
    if field in ("cohort", "period"):
        return format_cohort(str(row[field]), lang)
    if field == "breakdown":
        return format_breakdown(str(row[field]), lang)
    if is_hidden(row):
        return hidden_label(row.get("suppression_reason"), lang) if field == "persons" else NOT_AVAILABLE
    if field == "value" and row.get("provisional"):
        if row["indicator_code"] == PAYMENT_DUE:
            return t("clause.payment_not_due", lang)
        return t("clause.provisional_value", lang, value=format_value(shown_value(row), unit, lang))
    if field == "value":
        return format_value(shown_value(row), unit, lang)
    if field in ("numerator", "denominator") and row.get(f"{field}_unit") == "eur":
        return format_value(row[field], "eur", lang)
    return format_count(row[field], lang)


def select(values: pd.DataFrame, period: str, site: str = ALL, breakdown: str | None = ALL) -> pd.DataFrame:
    """The published rows shown for one period and site choice (every site and the totals for 'all'), for
    one breakdown or, with None, every breakdown."""
    rows = values[values["period"] == period]
    if breakdown is not None:
        rows = rows[rows["breakdown"] == breakdown]
    if site != ALL:
        rows = rows[rows["site"] == site]
    return _ordered(rows)


def has_cohorts(values: pd.DataFrame) -> bool:
    """Whether an indicator is published by entry cohort, so that its all-cohorts rows put cohorts together
    (amounts, costs and extract quality have none)."""
    return bool((values["cohort"] != ALL).any())


def totals(values: pd.DataFrame, period: str, site: str = ALL) -> pd.DataFrame:
    """The all-cohorts rows of the selection (site='all' gives programme-wide values): the overall row when
    published, else one per breakdown (before/after rates have no overall row)."""
    rows = select(values, period, site, breakdown=None)
    rows = rows[(rows["site"] == site) & (rows["cohort"] == ALL)]
    overall_rows = rows[rows["breakdown"] == ALL]
    return rows if overall_rows.empty else overall_rows


def overall(values: pd.DataFrame, period: str, site: str = ALL) -> pd.Series | None:
    """The all-cohorts, all-breakdowns row of the selection (site='all' gives the programme-wide value)."""
    rows = totals(values, period, site)
    rows = rows[rows["breakdown"] == ALL]
    return None if rows.empty else rows.iloc[0]


def display_table(
    rows: pd.DataFrame, lang: Lang, columns: Mapping[str, str] = RETENTION_COLUMNS, unit: str = "percent"
) -> pd.DataFrame:
    """Rows as formatted text, one column per entry of `columns`; a suppressed cell shows why it is hidden and
    never its numbers."""
    records = rows.to_dict("records")
    table: dict[str, list[str]] = {}
    for field, header in columns.items():
        table[t(header, lang)] = [cell_text(row, field, lang, unit) for row in records]
    return pd.DataFrame(table, columns=list(table))


def quarterly(values: pd.DataFrame, site: str = ALL) -> pd.DataFrame:
    """The quarterly cells of one site (or of all sites together, for 'all'), quarters in time order and each
    quarter's breakdowns before then after; suppressed quarters keep their place without their numbers."""
    rows = values[values["period"].map(is_quarter) & (values["site"] == site)]
    return without_hidden_numbers(_ordered(rows))


def quarter_columns(rows: pd.DataFrame) -> dict[str, str]:
    """The columns of the quarterly table: QUARTER_COLUMNS, less the breakdown when the rows have only one (an
    indicator without breakdowns shows no column of "All")."""
    if rows["breakdown"].nunique() > 1:
        return dict(QUARTER_COLUMNS)
    return {field: key for field, key in QUARTER_COLUMNS.items() if field != "breakdown"}


def latest_quarter(rows: pd.DataFrame) -> str:
    """The last quarter of (non-empty) quarterly rows: the one that may be partial."""
    return str(rows["period"].max())


def chart_source(values: pd.DataFrame, period: str, site: str = ALL) -> pd.DataFrame:
    """Per-cohort rows behind the chart: the chosen site(s) plus the all-sites line for reference."""
    rows = select(values, period, ALL)
    rows = rows[rows["cohort"] != ALL]
    return rows if site == ALL else rows[rows["site"].isin([site, ALL])]


def _hidden(rows: pd.DataFrame) -> pd.Series:
    # Off the chart: suppressed cells, and any cell without a value (never drawn as zero).
    return hidden_flags(rows) | rows["value"].isna()


def chart_rows(source: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Rates to plot by entry cohort: a suppressed cell keeps its cohort with no value, so its site's line breaks
    there rather than joining its neighbours (never drawn as zero, never a number)."""
    labels = {"cohort_label": "cohort", "site_label": "site", "rate_label": "value", "persons_label": "persons"}
    return _points(source, "cohort", labels, lang, "percent")


def suppressed_cells(source: pd.DataFrame, lang: Lang) -> list[str]:
    """Labels ("Marseille 2022-T1") of the cells left off the chart, to say so under it."""
    rows = source[_hidden(source)]
    return [
        f"{format_site(site, lang)} {format_cohort(cohort, lang)}"
        for site, cohort in zip(rows["site"], rows["cohort"], strict=True)
    ]


def quarter_chart_rows(rows: pd.DataFrame, lang: Lang, unit: str) -> pd.DataFrame:
    """Quarterly rows to plot, one line per breakdown: a hidden quarter keeps its place with no value, so its
    line breaks there; its labels say why it is hidden, never a number."""
    labels = {
        "quarter_label": "period",
        "breakdown_label": "breakdown",
        "value_label": "value",
        "persons_label": "persons",
    }
    return _points(rows, "period", labels, lang, unit).rename(columns={"period": "quarter"})


def _points(rows: pd.DataFrame, axis: str, labels: Mapping[str, str], lang: Lang, unit: str) -> pd.DataFrame:
    # The axis field, each label column with the published field it shows, and the value where not hidden.
    records = rows.to_dict("records")
    frame: dict[str, object] = {axis: rows[axis].to_numpy()}
    frame |= {name: [cell_text(row, field, lang, unit) for row in records] for name, field in labels.items()}
    # Plotted where its label (cell_text) says, from the same unrounded value.
    values = pd.Series([shown_value(row) for row in records], index=rows.index, dtype=float)
    frame["value"] = values.where(~_hidden(rows)).to_numpy()
    return pd.DataFrame(frame)
