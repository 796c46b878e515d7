"""How each partner records a person: typos, swapped names, lost accents, swapped day/month, gaps.

A partner keeps one record per person, so the distortions are drawn once per (person, partner)
and repeated on every row that partner sends about that person.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date

from pipelines.sample.identities import Identity, strip_accents

PARTNERS = ("housing", "health", "employment", "justice")

TYPO_RATE = 0.05
SWAPPED_NAMES_RATE = 0.03
DROPPED_ACCENTS_RATE = 0.20  # the health partner always drops them
DAY_MONTH_SWAP_RATE = 0.02  # only possible when the day is 12 or less
MISSING_NIR_RATE = {"housing": 0.04, "health": 0.30, "justice": 0.20}  # employment has no NIR
MISSING_PHONE_RATE = {"housing": 0.05, "employment": 0.10}
MISSING_EMAIL_RATE = {"housing": 0.15, "employment": 0.20}


@dataclass(frozen=True)
class PartnerView:
    """A person as one partner holds them; None means the partner does not have the value."""

    given_name: str
    family_name: str
    sex: str
    birth_date: date
    nir: str | None
    phone: str | None
    email: str | None


def typo(rng: random.Random, name: str) -> str:
    """One keying error on a letter: substitution, deletion, doubling or transposition."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    while True:
        i = rng.choice(letters)
        kind = rng.randrange(4)
        if kind == 0:
            sub = rng.choice(string.ascii_lowercase)
            out = name[:i] + (sub.upper() if name[i].isupper() else sub) + name[i + 1 :]
        elif kind == 1 and len(letters) > 2:
            out = name[:i] + name[i + 1 :]
        elif kind == 2:
            out = name[:i] + name[i] + name[i:]
        elif i + 1 < len(name) and name[i + 1].isalpha():
            out = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
        else:
            continue
        if out != name:
            return out


def partner_view(rng: random.Random, person: Identity, partner: str) -> PartnerView:
    given, family = person.given_name, person.family_name
    if rng.random() < TYPO_RATE:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
    if rng.random() < SWAPPED_NAMES_RATE:
        given, family = family, given
    if partner == "health":  # hospital style: upper case, no accents
        given, family = strip_accents(given).upper(), strip_accents(family).upper()
    elif rng.random() < DROPPED_ACCENTS_RATE:
        given, family = strip_accents(given), strip_accents(family)
    birth = person.birth_date
    if birth.day <= 12 and birth.day != birth.month and rng.random() < DAY_MONTH_SWAP_RATE:
        birth = date(birth.year, birth.day, birth.month)
    nir = None if rng.random() < MISSING_NIR_RATE.get(partner, 1.0) else person.nir
    phone = None if rng.random() < MISSING_PHONE_RATE.get(partner, 1.0) else person.phone
    email = None if rng.random() < MISSING_EMAIL_RATE.get(partner, 1.0) else person.email
    return PartnerView(given, family, person.sex, birth, nir, phone, email)
