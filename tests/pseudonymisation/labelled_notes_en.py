# ruff: noqa: E501  (one template per line reads better than split strings)
"""A labelled set of English case-note sentences (entirely fictitious) for measuring redaction per type.

The English twin of ``labelled_notes.py``, for a programme abroad (UK, Ireland, US, Canada): each template is
written the way support workers write notes, its sensitive spans marked inline as ``[text](TYPE)``; filling
the templates with rotating people and identifiers gives ``LABELLED`` (>= 100 sentences) with exact character
spans. Types: PERSON, PHONE, EMAIL, SSN, IBAN, ADDRESS, BIRTH_DATE, LOCATION. ``names`` is what the record
itself knows (the person's given and family names); third parties (kin, staff, landlords) are not in it and
only NER or the introduced-name patterns can catch them. IBANs carry valid check digits; SSNs are in the
ranges the US has issued, none of them a known advertising or test number. Phone numbers are in the ranges
set aside for drama and examples where a country has them (Ofcom 07700 900xxx and 020 7946 0xxx, NANP
555-01xx), so they are not anyone's, and a redactor cannot lean on a real number plan's validity for them.

Written before the English recognisers were tuned; the word lists in ``pseudonymisation/name_patterns.py``
were not fitted to it.
"""

from __future__ import annotations

from labelled_notes import Labelled, Span, iban
from labelled_notes import parse as parse_marked

TYPES = ("PERSON", "PHONE", "EMAIL", "SSN", "IBAN", "ADDRESS", "BIRTH_DATE", "LOCATION")

__all__ = ["LABELLED", "TYPES", "Labelled", "Span", "parse"]


def parse(marked: str) -> tuple[str, tuple[Span, ...]]:
    """Plain text and spans of a sentence marked up as ``[text](TYPE)`` (the English types)."""
    return parse_marked(marked, TYPES)


# The record's person: given and family name, as the record holds them.
PEOPLE = [
    ("Sarah", "Thompson"),
    ("Mohammed", "Hussain"),
    ("Chloe", "O'Brien"),
    ("Daniel", "Kowalski"),
    ("Aisha", "Okafor"),
    ("Liam", "McAllister"),
    ("Priya", "Sharma"),
    ("Jamal", "Washington"),
    ("Emily", "Nguyen"),
    ("Connor", "Doyle"),
    ("Grace", "Mensah"),
    ("Tyler", "Fraser"),
]
# People the record does not name: relatives, staff, landlords, neighbours.
OTHERS = [
    "Laura Bennett",
    "Tom Reid",
    "Fatima Begum",
    "Gary Hughes",
    "Denise Carter",
    "Kwame Asante",
    "Rachel Goldberg",
    "Steven Walsh",
    "Marisol Reyes",
    "Helen Price",
    "Jason Lee",
]
PHONES = [
    "07700 900123",
    "020 7946 0958",
    "+44 7700 900456",
    "(212) 555-0147",
    "415-555-0132",
    "+1 604 555 0175",
    "+447700900789",
    "613.555.0148",
    "0161 496 0321",
    "+1-416-555-0199",
]
EMAILS = [
    "sarah.t84@gmail.com",
    "m.hussain@outlook.com",
    "chloe_obrien@yahoo.co.uk",
    "dkowalski77@hotmail.com",
    "aisha.okafor@icloud.com",
    "liam.mca@btinternet.com",
]
SSNS = ["512-34-8761", "401-23-5567", "287 65 4320", "609-44-1938", "523-81-0467"]
IBANS = [
    iban("GB", "WEST12345698765432"),
    iban("GB", "NWBK60161331926819"),
    iban("IE", "AIBK93115212345678"),
    iban("GB", "BARC20035312345678").replace(" ", ""),
]
ADDRESSES = [
    "14 Elm Street",
    "Flat 4, 27 Mill Road",
    "221B Baker Street, London NW1 6XE",
    "88 Harbour Drive",
    "45 Queen Street West, Toronto, ON M5H 2M9",
    "9 Victoria Close",
    "310 Maple Avenue, Portland, OR 97201",
    "3 Church Lane, Leeds LS6 2QE",
]
BIRTH_DATES = ["3 January 2001", "January 3, 2001", "12/03/1975", "14th July 1986", "1968-05-01", "30 Sept 1988"]
TOWNS = ["Manchester", "Bristol", "Glasgow", "Toronto", "Cardiff", "Dublin", "Boston"]

# {g} {f}: the record's person; {o} another person, {og} {of} their given and family names;
# {ph} {em} {ssn} {iban} {addr} {dob} {town}.
TEMPLATES = [
    "Home visit to [{g} {f}](PERSON), flat clean and tidy, next appointment with the council on Thursday.",
    "Ms [{f}](PERSON) called from [{ph}](PHONE) to report a leak in the bathroom.",
    "[{g}](PERSON) can be reached on [{ph}](PHONE) in the afternoons.",
    "Met with [{g}](PERSON) today: she would like to get back in touch with her sister [{o}](PERSON).",
    "Mr [{f}](PERSON) emailed from [{em}](EMAIL) about his housing benefit claim.",
    "Social Security number for [{g} {f}](PERSON): [{ssn}](SSN).",
    "Bank details sent to the landlord: [{iban}](IBAN).",
    "New address for [{g}](PERSON): [{addr}](ADDRESS).",
    "[{g} {f}](PERSON), born on [{dob}](BIRTH_DATE), has been supported since March.",
    "Support worker [{o}](PERSON) called back on [{ph}](PHONE), PIP application in progress.",
    "Emergency contact: [{o}](PERSON), [{ph}](PHONE).",
    "[{g}](PERSON) was admitted to A&E overnight, discharged this morning.",
    "Phoned the landlord, Mr [{of}](PERSON), about the rent arrears.",
    "[{g}](PERSON) says her partner [{og}](PERSON) has been staying at the flat.",
    "Dr [{of}](PERSON) at the GP surgery has increased [{g}](PERSON)'s medication.",
    "Joint visit with the probation officer, [{o}](PERSON), went well.",
    "Tenancy agreement signed by [{g} {f}](PERSON) and the housing officer.",
    "DOB: [{dob}](BIRTH_DATE). Client prefers to be called [{g}](PERSON).",
    "[{g}](PERSON) asked us to write to [{em}](EMAIL) rather than post letters.",
    "Her mum [{o}](PERSON) lives in [{town}](LOCATION) and visits once a month.",
    "Client moved back from [{town}](LOCATION) after the relationship ended.",
    "[{f}](PERSON) did not attend the appointment; left a voicemail on [{ph}](PHONE).",
    "Universal Credit paid into account [{iban}](IBAN) on the 15th.",
    "SSN [{ssn}](SSN) confirmed with the benefits office for [{g}](PERSON).",
    "[{g}](PERSON)'s son [{og}](PERSON) started at the local primary school this week.",
    "Spoke to [{o}](PERSON) from the housing association about the repairs.",
    "Neighbour [{o}](PERSON) complained about noise late at night.",
    "Keyworker session with [{g}](PERSON): budgeting, shopping list, and the electricity meter.",
    "[{g} {f}](PERSON) was born in [{town}](LOCATION) and came to the service in 2019.",
    "Date of birth [{dob}](BIRTH_DATE) checked against the passport.",
    "Reminder sent to [{em}](EMAIL) for Monday's review meeting.",
    "Referral from St Mungo's outreach team for [{g}](PERSON), rough sleeping for two years.",
    "Mrs [{of}](PERSON), the landlady, will inspect the property next week.",
    "Her caseworker at the shelter, [{o}](PERSON), faxed the consent form.",
    "[{g}](PERSON) reports that [{o}](PERSON) has been asking her for money.",
    "Appointment at the hospital on 12 May; [{g}](PERSON) wants someone to go with her.",
    "Contact details updated: [{ph}](PHONE) and [{em}](EMAIL).",
    "He now lives at [{addr}](ADDRESS) with his brother [{o}](PERSON).",
    "[{g}](PERSON) was arrested on Friday and released without charge.",
    "Nurse [{o}](PERSON) from the mental health team will call [{g}](PERSON) tomorrow.",
    "In the presence of her boyfriend [{og} {of}](PERSON), [{g}](PERSON) talked about finding work.",
    "Client's friend [{og}](PERSON) texted from [{ph}](PHONE) to say she is safe.",
    "Food bank voucher issued; [{g}](PERSON) has no money until Friday.",
    "[{g}](PERSON) is worried that her ex-partner [{o}](PERSON) knows where she lives.",
    "Application for council tax reduction completed with [{g} {f}](PERSON).",
    "Landlord agreed to return the deposit to [{iban}](IBAN) by the end of the month.",
    "Her SSN is [{ssn}](SSN); the Medicaid form is filled in and signed.",
    "[{g}](PERSON) (d.o.b. [{dob}](BIRTH_DATE)) was seen at the drop-in centre.",
    "Moved into [{addr}](ADDRESS) on Tuesday, keys collected from the letting agent.",
    "Housing application for [{g} {f}](PERSON), SSN [{ssn}](SSN), phone [{ph}](PHONE).",
]


def _fill(index: int, template: str, round_: int) -> Labelled:
    given, family = PEOPLE[(index + round_ * 5) % len(PEOPLE)]
    n = index + round_ * 7
    other = OTHERS[n % len(OTHERS)]
    values = {
        "g": given,
        "f": family,
        "o": other,
        "og": other.split()[0],
        "of": other.split()[-1],
        "ph": PHONES[n % len(PHONES)],
        "em": EMAILS[n % len(EMAILS)],
        "ssn": SSNS[n % len(SSNS)],
        "iban": IBANS[n % len(IBANS)],
        "addr": ADDRESSES[n % len(ADDRESSES)],
        "dob": BIRTH_DATES[n % len(BIRTH_DATES)],
        "town": TOWNS[n % len(TOWNS)],
    }
    text, spans = parse(template.format(**values))
    return Labelled(text, (given, family), spans)


ROUNDS = 3
LABELLED: list[Labelled] = [_fill(i, t, r) for r in range(ROUNDS) for i, t in enumerate(TEMPLATES)]
