"""English recognisers for a programme abroad (UK, Ireland, US, Canada): phones, addresses, birth dates.

Pattern recognisers only; ``redaction.Redactor("en")`` adds presidio's e-mail, IBAN, card and US SSN
recognisers, libphonenumber for GB/US/CA/IE numbers, the English NER model and the introduced-name
recogniser of ``name_patterns``. Patterns are case-sensitive unless they opt into ``(?i)``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

PLACEHOLDERS: dict[str, str] = {
    "PERSON": "<PERSON>",
    "PHONE_NUMBER": "<PHONE>",
    "EMAIL_ADDRESS": "<EMAIL>",
    "US_SSN": "<SSN>",
    "IBAN_CODE": "<IBAN>",
    "CREDIT_CARD": "<CREDIT_CARD>",
    "EN_ADDRESS": "<ADDRESS>",
    "LOCATION": "<LOCATION>",
    "BIRTH_DATE": "<DATE_OF_BIRTH>",
}
DEFAULT_PLACEHOLDER = "<REDACTED>"
PHONE_REGIONS = ("GB", "US", "CA", "IE")
# Identifiers an English note may hold besides names and places (the French NIR's counterparts).
EXACT_TYPES = frozenset({"US_SSN", "EN_ADDRESS"})

_FLAGS = re.DOTALL | re.MULTILINE

# --- phones ------------------------------------------------------------------------------------

_UK_PHONE = (
    r"(?<![\w+])(?:(?:\+|00)\s?44\s?(?:\(0\)\s?)?|\(?0)"  # +44, 0044, +44 (0) or the national 0
    r"[1-9]\d{1,4}\)?(?:[ \-]?\d){6,8}(?!\d)"
)
_NANP_PHONE = (
    r"(?<![\w+])(?:(?:\+|00)\s?1[ .\-]?)?"  # +1 or 001, optional
    r"(?:\([2-9]\d{2}\)\s?|[2-9]\d{2}[ .\-])[2-9]\d{2}[ .\-]\d{4}(?!\d)"  # (212) 555-0147, 415.555.0132
)
_E164 = r"(?<![\w+])\+[1-9]\d{7,14}(?!\d)"  # +447700900789, +14155550132


class EnPhoneRecognizer(PatternRecognizer):
    """UK and North American numbers as people write them, whether or not the number plan has them yet.

    libphonenumber (presidio's ``PhoneRecognizer``) keeps only numbers valid in its metadata; notes
    also hold numbers it does not know, and the ranges set aside for examples. A UK match is kept when it
    has the 9 or 10 digits a UK number has after its 0 or +44.
    """

    PATTERNS = [
        Pattern("UK phone", _UK_PHONE, 0.6),
        Pattern("North American phone", _NANP_PHONE, 0.6),
        Pattern("E.164", _E164, 0.6),
    ]

    def __init__(self, supported_language: str = "en", context: list[str] | None = None) -> None:
        super().__init__(
            supported_entity="PHONE_NUMBER",
            name="EnPhoneRecognizer",
            patterns=self.PATTERNS,
            context=context,
            supported_language=supported_language,
            global_regex_flags=_FLAGS,
        )

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = re.sub(r"\D", "", pattern_text)
        text = pattern_text.lstrip("(")
        if text.startswith(("+44", "0044")) or (text.startswith("0") and not text.startswith("00")):
            national = re.sub(r"^(?:0044|44|0)", "", digits)
            if national.startswith("0"):  # "+44 (0) 20 ...": the national 0 written after the code
                national = national[1:]
            return len(national) in (9, 10)
        return None  # North American and E.164 matches: the pattern says enough


def _min_phone_digits(regions: tuple[str, ...]) -> int:
    """The fewest digits a valid number of ``regions`` can have (without its national prefix)."""
    return min(
        min(length for length in phonenumbers.PhoneMetadata.metadata_for_region(r).general_desc.possible_length)
        for r in regions
    )


MIN_PHONE_DIGITS = _min_phone_digits(PHONE_REGIONS)

# --- addresses ---------------------------------------------------------------------------------

STREET_TYPES = (
    r"street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|close|cl|court|ct|crescent|cres|place|pl|way"
    r"|terrace|terr|tce|gardens|gdns|grove|gr|boulevard|blvd|square|sq|parkway|pkwy|highway|hwy|row|mews"
    r"|hill|walk|rise|park|green|parade|circle|cir|trail|path|quay|wharf|embankment|view|vale|gate|yard"
    r"|broadway|crossing|point|heights|estate"
)
_NAMED_STREET_TYPES = r"Street|Road|Avenue|Lane|Drive|Crescent|Terrace|Boulevard|Gardens|Grove|Mews"
_CAP = r"[A-Z][\w’'\-]*"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z]\s?\d[A-Z]\d"
_ZIP = r"\d{5}(?:-\d{4})?"
_UNIT = r"(?:(?i:flat|apartment|apt\.?|unit|suite|room|rm\.?)\s*[\w\-]{1,5},?\s+)"
# No "." is taken after a street type or direction: "14 Elm St. Next" must not run into the next sentence.
_DIRECTION = r"(?:\s+(?:North|South|East|West|N|S|E|W|NE|NW|SE|SW)(?!\w))"
_TAIL = (
    r"(?:,?\s+(?i:flat|apartment|apt\.?|unit|suite)\s*[\w\-]{1,5})?"  # ", Apt 3" after the street
    rf"(?:,?\s+{_CAP}(?:\s+{_CAP}){{0,2}})?"  # the town
    r"(?:,?\s+[A-Z]{2}(?!\w))?"  # a state or province
    rf"(?:,?\s+(?:{_UK_POSTCODE}|{_CA_POSTCODE}|{_ZIP})(?!\w))?"
)
ADDRESS_PATTERNS = [
    # "14 Elm Street", "Flat 4, 27 Mill Road", "221B Baker Street, London NW1 6XE", "310 Maple Ave, Portland, OR 97201"
    Pattern(
        "numbered street",
        rf"(?<!\w){_UNIT}?\d{{1,5}}[A-Za-z]?,?\s+(?:{_CAP}\s+){{1,4}}(?i:{STREET_TYPES})(?!\w){_DIRECTION}?{_TAIL}",
        0.6,
    ),
    # "on Elm Street": a street named without its number
    Pattern("named street", rf"(?<![\w’'\-])(?:{_CAP}\s+){{1,3}}(?:{_NAMED_STREET_TYPES})(?!\w)", 0.4),
    # A UK or Canadian postcode on its own ("LS6 2QE", "M5H 2M9"): it points to a handful of homes.
    Pattern("postcode", rf"(?<![\w\-])(?:{_UK_POSTCODE}|{_CA_POSTCODE})(?![\w\-])", 0.4),
]

# --- birth dates -------------------------------------------------------------------------------

_MONTHS = (
    r"january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sept|sep"
    r"|october|oct|november|nov|december|dec"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
DATE = (
    rf"(?:{_DAY}\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+(?:19|20)\d{{2}}"  # 3 January 2001, 14th of July 1986
    rf"|(?:{_MONTHS})\.?\s+{_DAY},?\s+(?:19|20)\d{{2}}"  # January 3, 2001
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-](?:19|20)?\d{2}"  # 12/03/1975, 3-1-01
    r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)"  # 1968-05-01
)
BIRTH_DATE_PATTERNS = [
    # Only dates of birth: other dates (appointments, moves) are the substance of a case note.
    Pattern("born on", rf"(?i)(?<=\bborn\s+(?:in\s+\S+(?:\s+\S+)?\s+)?(?:on\s+)?(?:the\s+)?){DATE}", 0.8),
    Pattern("born in", r"(?i)(?<=\bborn\s+in\s+)(?:19|20)\d{2}(?!\d)", 0.6),
    Pattern("date of birth", rf"(?i)(?<=\b(?:date\s+of\s+birth|d\.?o\.?b\.?)\s*(?:[:\-]|is|was)?\s*){DATE}", 0.8),
]

_BIRTH_WORDS = re.compile(r"(?i:born|birth|d\.?o\.?b)")
_DIGIT = re.compile(r"\d")


def recognisers(language: str = "en") -> list[EntityRecognizer]:
    """The English pattern recognisers (phones, addresses, birth dates)."""
    return [
        EnPhoneRecognizer(
            supported_language=language, context=["phone", "tel", "mobile", "cell", "number", "call", "text"]
        ),
        PatternRecognizer(
            supported_entity="EN_ADDRESS",
            name="EnAddressRecognizer",
            patterns=ADDRESS_PATTERNS,
            context=["address", "lives", "living", "moved", "flat", "apartment", "home"],
            supported_language=language,
            global_regex_flags=_FLAGS,
        ),
        PatternRecognizer(
            supported_entity="BIRTH_DATE",
            name="EnBirthDateRecognizer",
            patterns=BIRTH_DATE_PATTERNS,
            supported_language=language,
            global_regex_flags=_FLAGS,
        ),
    ]


# What a text must hold before each recogniser can match in it (see ``redaction._GATES``).
GATES: dict[str, Callable[[str], object]] = {
    "EnPhoneRecognizer": re.compile(r"\d(?:[ .\-()]{0,2}\d){6}").search,  # every pattern has 7 digits or more
    # Presidio's SSN patterns: 9 digits, with at most one "-", " " or "." between them.
    "UsSsnRecognizer": re.compile(r"\d(?:[- .]?\d){8}").search,
    "EnAddressRecognizer": re.compile(rf"(?i:{STREET_TYPES})|{_UK_POSTCODE}|{_CA_POSTCODE}").search,
    "EnBirthDateRecognizer": lambda text: _BIRTH_WORDS.search(text) and _DIGIT.search(text),
}
