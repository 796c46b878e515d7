"""CSV extracts of published rows, shaped for the spreadsheet a reader in each language will open."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import pandas as pd

from dashboards.data import VALUE_COLUMNS
from dashboards.frames import ALL, without_hidden_numbers
from dashboards.i18n import Lang

# Excel in French splits on ';' and reads ',' as the decimal mark; in English it expects ',' and '.'.
SEPARATORS: dict[str, tuple[str, str]] = {"fr": (";", ","), "en": (",", ".")}
# What says which cell a row is, and whether it is hidden: kept on a suppressed row. Every other column of an
# extract is a number and left blank on it, a column added later included.
KEY_COLUMNS: frozenset[str] = frozenset(
    {"indicator_code", "period", "site", "cohort", "breakdown", "time_months", "suppressed", "suppression_reason"}
)


def csv_bytes(rows: pd.DataFrame, lang: Lang, columns: Sequence[str] = VALUE_COLUMNS) -> bytes:
    """The rows in their published shape (`columns`: indicator_values' long shape, or the curve's), UTF-8 with a
    byte-order mark so Excel detects the encoding.

    A suppressed row (or one with an unknown flag) is written without numbers even if it carried some."""
    separator, decimal = SEPARATORS[lang]
    numbers = [column for column in columns if column not in KEY_COLUMNS]
    frame = without_hidden_numbers(rows.loc[:, list(columns)], numbers)
    frame["suppressed"] = frame["suppressed"].map({True: "true", False: "false"})
    text = frame.to_csv(sep=separator, decimal=decimal, index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def csv_file_name(indicator_code: str, site: str, period: str, quarters: bool = False) -> str:
    """The extract's file name: indicator, site ('all-sites' for every site) and observation end, so that a funder
    saving several sites' extracts gets one file each; the quarterly rows' extract says so, beside the cumulative
    one of the same observation end."""
    return f"abord_{indicator_code}_{_site_slug(site)}_{period}{'_quarters' if quarters else ''}.csv"


def _site_slug(site: str) -> str:
    # ASCII, lower case, words joined by '-' ('Saint-Étienne' -> 'saint-etienne'): safe in any file system.
    if site == ALL:
        return "all-sites"
    ascii_name = unicodedata.normalize("NFKD", site).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
