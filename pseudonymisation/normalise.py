"""Normalisation of direct identifiers before they are hashed.

Each function returns a canonical string, or None when the value is absent or unusable, so
that the same person written differently by two partners yields the same string.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache

import phonenumbers

# Letters NFKD does not decompose into ASCII.
_LIGATURES = str.maketrans(
    {
        "Œ": "OE",
        "œ": "OE",
        "Æ": "AE",
        "æ": "AE",
        "Ø": "O",
        "ø": "O",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "ß": "SS",
    }
)
_NOT_ALNUM = re.compile(r"[^0-9A-Z]+")


def strip_accents(s: str) -> str:
    """Remove diacritics (é -> e) and expand ligatures (œ -> OE)."""
    decomposed = unicodedata.normalize("NFKD", s.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def name(s: str | None) -> str | None:
    """Upper case without accents, separators as single spaces: d'Almeida -> D ALMEIDA."""
    if not isinstance(s, str):
        return None
    # Apostrophes, hyphens, dots and any other separator all become one space.
    cleaned = _NOT_ALNUM.sub(" ", strip_accents(s).upper()).strip()
    return cleaned or None


# A date-time gives its date whatever its time of day, as the readers take a typed date-time's (pipelines/readers):
# Access and database exports write a date as '04/03/1985 00:00:00', and a birth at 09:30 is still on that day.
# Only a time of day may follow the date (zone and AM/PM included): '04/03/1985 foo' is no date.
_TIME_OF_DAY = (
    r"[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:[.,]\d{1,9})?)?"  # 9:30, 09:30:00, 09:30:00.000
    r"(?: ?[AaPp][Mm])?(?:Z|[+-]\d{2}(?::?\d{2})?)?"  # 12:00:00 AM, a zone
)
TIME_OF_DAY = re.compile(_TIME_OF_DAY + r"\Z")  # a date-time's time, ending it
_TIME = f"(?:{_TIME_OF_DAY})?"
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})" + _TIME)
_YMD_SLASH = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})" + _TIME)
_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})" + _TIME)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})" + _TIME)
_EARLIEST = date(1900, 1, 1)


def birth_date(value: date | str | None, today: date | None = None) -> str | None:
    """A plausible birth date as ISO "YYYY-MM-DD", or None (unparseable, before 1900, after ``today``).

    ``today`` is the caller's calendar day, by default the machine's: a caller keeping another calendar (a
    programme in its own time zone) passes its own, and a caller caching the result keys the cache by it."""
    if isinstance(value, datetime):
        parsed: date | None = value.date()
    elif isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        parsed = _parse_date(value.strip())
    else:
        return None
    if parsed is None or not (_EARLIEST <= parsed <= (today or date.today())):
        return None
    return parsed.isoformat()


def _parse_date(s: str) -> date | None:
    for pattern, order in ((_ISO, "ymd"), (_YMD_SLASH, "ymd"), (_DMY, "dmy"), (_COMPACT, "ymd")):
        match = pattern.fullmatch(s)
        if match:
            a, b, c = (int(g) for g in match.groups()[:3])
            y, m, d = (a, b, c) if order == "ymd" else (c, b, a)
            try:
                return date(y, m, d)
            except ValueError:
                return None
    return None


_NIR = re.compile(r"([1-8]\d{4}(?:\d{2}|2A|2B)\d{6})(\d{2})")


def nir(s: str | None) -> str | None:
    """The 13-character body of a French NIR whose 2-digit key checks, else None.

    Key = 97 - (body mod 97), where Corsican departements 2A/2B count as 19/18.
    """
    if not isinstance(s, str):
        return None
    compact = re.sub(r"[\s.\-]", "", s).upper()
    match = _NIR.fullmatch(compact)
    if not match:
        return None
    body, check = match.groups()
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:]
    if 97 - int(numeric) % 97 != int(check):
        return None
    return body


_SSN = re.compile(r"(\d{3})(\d{2})(\d{4})")


def ssn(s: str | None) -> str | None:
    """The 9 digits of a full US social security number that could have been issued, else None: a partial one
    (HMIS writes "xxxxx6789"), an area 000, 666 or 9xx, a group 00, a serial 0000, or a run of one digit
    (a placeholder) says nothing about who the person is."""
    if not isinstance(s, str):
        return None
    compact = re.sub(r"[\s\-]", "", s)
    match = _SSN.fullmatch(compact)
    if not match or len(set(compact)) == 1:
        return None
    area, group, serial = match.groups()
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return None
    return compact


@lru_cache(maxsize=1 << 16)  # parsing a number is slow and each person's number comes back in every source
def phone(s: str | None, region: str = "FR") -> str | None:
    """E.164 form ("+33612345678") of a valid phone number, else None."""
    if not isinstance(s, str) or not s.strip():
        return None
    try:
        parsed = phonenumbers.parse(s, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def email(s: str | None) -> str | None:
    """Lower-cased, trimmed address with one "@" and a dotted domain, else None."""
    if not isinstance(s, str):
        return None
    cleaned = s.strip().lower()
    if cleaned.count("@") != 1 or any(ch.isspace() for ch in cleaned):
        return None
    local, domain = cleaned.split("@")
    labels = domain.split(".")
    if not local or len(labels) < 2 or not all(labels):
        return None
    return cleaned
