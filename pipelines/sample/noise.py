"""How each partner records a person: typos, swapped names, lost accents, swapped day/month, gaps,
a married woman's usage name, and now and then a second record for the same person.

A partner keeps one record per person (or two, when it made a duplicate), so the distortions are
drawn once per (person, partner) and repeated on every row written under that record.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date

from pipelines.sample.config import IdentityNoise
from pipelines.sample.identities import Identity, strip_accents

PARTNERS = ("housing", "health", "employment", "justice", "shelter")


@dataclass(frozen=True, slots=True)
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


def partner_view(rng: random.Random, person: Identity, partner: str, noise: IdentityNoise) -> PartnerView:
    given, family = person.given_name, person.family_name
    if person.usage_family_name and rng.random() < noise.usage_name_rate.get(partner, 0.0):
        family = person.usage_family_name
    if rng.random() < noise.typo_rate:
        if rng.random() < 0.5:
            given = typo(rng, given)
        else:
            family = typo(rng, family)
    if rng.random() < noise.swapped_names_rate:
        given, family = family, given
    if partner == "health":  # hospital style: upper case, no accents
        given, family = strip_accents(given).upper(), strip_accents(family).upper()
    elif rng.random() < noise.dropped_accents_rate:
        given, family = strip_accents(given), strip_accents(family)
    birth = person.birth_date
    if birth.day <= 12 and birth.day != birth.month and rng.random() < noise.day_month_swap_rate:
        birth = date(birth.year, birth.day, birth.month)
    nir = None if rng.random() < noise.missing_nir.get(partner, 1.0) else person.nir
    phone = None if rng.random() < noise.missing_phone.get(partner, 1.0) else person.phone
    email = None if rng.random() < noise.missing_email.get(partner, 1.0) else person.email
    return PartnerView(given, family, person.sex, birth, nir, phone, email)


def duplicate_view(
    rng: random.Random, person: Identity, partner: str, noise: IdentityNoise, main: PartnerView
) -> PartnerView:
    """A second record opened at the desk without the person's card: no NIR, and a spelling of its own."""
    view = partner_view(rng, person, partner, noise)
    given, family = view.given_name, view.family_name
    if (given, family) == (main.given_name, main.family_name):
        family = typo(rng, family)
    return PartnerView(given, family, view.sex, view.birth_date, None, view.phone, view.email)
