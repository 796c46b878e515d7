"""Generalisation of quasi-identifiers kept in the warehouse instead of the exact values."""

from __future__ import annotations

import re
from datetime import date

_BANDS: tuple[tuple[int, str], ...] = (
    (65, "65+"),
    (55, "55-64"),
    (45, "45-54"),
    (35, "35-44"),
    (25, "25-34"),
    (18, "18-24"),
)


_PARTIAL_ISO = re.compile(r"\d{4}(?:-(?:0[1-9]|1[0-2]))?")


def _parse_iso(iso_date: str | date | None) -> date | None:
    if isinstance(iso_date, date):
        return iso_date
    if not isinstance(iso_date, str):
        return None
    try:
        return date.fromisoformat(iso_date.strip()[:10])
    except ValueError:
        return None


def birth_year(iso_date: str | date | None) -> int | None:
    """Year of an ISO date, or of a partial one ("1980", "1975-06", as FHIR allows); None if absent or unparseable."""
    if isinstance(iso_date, str) and _PARTIAL_ISO.fullmatch(iso_date.strip()):
        return int(iso_date.strip()[:4])
    parsed = _parse_iso(iso_date)
    return parsed.year if parsed else None


def age_band(iso_birth_date: str | date | None, on: date) -> str | None:
    """Adult age band on a given date; None if unknown, in the future or under 18."""
    born = _parse_iso(iso_birth_date)
    if born is None or born > on:
        return None
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    for lower, label in _BANDS:
        if age >= lower:
            return label
    return None


_POSTCODE = re.compile(r"\d{5}")


def departement(postcode: str | int | None) -> str | None:
    """Departement code of a French postcode: "69003" -> "69", "20090" -> "2A", "97411" -> "974"."""
    if postcode is None or isinstance(postcode, bool):
        return None
    text = re.sub(r"\s", "", str(postcode))
    if len(text) == 4 and text.isdigit():
        text = "0" + text  # leading zero lost by a spreadsheet ("1000" for Ain's 01000)
    if not _POSTCODE.fullmatch(text) or text.startswith("00"):
        return None
    if text.startswith("20"):
        return "2A" if int(text) < 20200 else "2B"
    if text[:2] in ("97", "98"):
        return text[:3]  # overseas departements and collectivities use three digits
    return text[:2]
