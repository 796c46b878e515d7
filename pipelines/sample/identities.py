"""True identities of sample persons: French names, sex, birth date, NIR, mobile phone, e-mail."""

from __future__ import annotations

import dataclasses
import functools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample import names
from pipelines.sample.seen import SeenValues

BIRTH_FIRST = date(1950, 1, 1)
BIRTH_LAST = date(2003, 12, 31)
COMPOUND_GIVEN_RATE = 0.12
COMPOUND_FAMILY_RATE = 0.06
PARTICLE_FAMILY_RATE = 0.07
# Only reserved example domains, never a real mail provider.
EMAIL_DOMAINS = ("example.fr", "example.org", "example.com", "example.net", "exemple.fr")

# Birth départements: mostly the programme regions, some elsewhere, Corsica, and abroad ("99").
_DEPARTEMENTS = ("69", "13", "59", "42", "75", "93", "62", "38", "01", "83", "84", "2A", "2B", "99")
_DEPARTEMENT_WEIGHTS = (14, 13, 12, 8, 8, 6, 5, 4, 3, 3, 3, 2, 2, 17)
# INSEE country codes used as "commune" for the foreign-born: Maroc, Algérie, Tunisie, Portugal,
# Sénégal, Italie, Espagne, Mali, Roumanie.
_COUNTRY_CODES = ("350", "352", "351", "139", "341", "127", "134", "335", "114")


@dataclass(frozen=True, slots=True)
class Identity:
    person_id: str
    given_name: str
    family_name: str
    sex: str  # "M" or "F"
    birth_date: date
    nir: str  # 15 characters: 13 + 2-digit key
    phone: str  # "06 12 34 56 78"
    email: str
    usage_family_name: str | None = None  # a married woman's usage name, used by some partners


@functools.lru_cache(maxsize=8192)
def strip_accents(text: str) -> str:
    """Remove diacritics (é -> e, ç -> c) as many partner systems do."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def nir_key(nir13: str) -> str:
    """Two-digit control key of a 13-character NIR; Corsica 2A/2B count as 19/18."""
    numeric = nir13.replace("2A", "19").replace("2B", "18") if nir13[5:7] in ("2A", "2B") else nir13
    return f"{97 - int(numeric) % 97:02d}"


def is_valid_nir(nir: str) -> bool:
    return len(nir) == 15 and nir[13:].isdigit() and nir_key(nir[:13]) == nir[13:]


def _nir(rng: random.Random, sex: str, birth: date) -> str:
    dept = rng.choices(_DEPARTEMENTS, _DEPARTEMENT_WEIGHTS)[0]
    if dept in ("2A", "2B") and birth.year < 1976:
        dept = "20"  # Corsica was a single département before 1976
    commune = rng.choice(_COUNTRY_CODES) if dept == "99" else f"{rng.randint(1, 999):03d}"
    nir13 = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{dept}{commune}"
    nir13 += f"{rng.randint(1, 999):03d}"
    return nir13 + nir_key(nir13)


def random_phone_digits(rng: random.Random) -> str:
    """Ten digits of a French mobile number (06 or 07)."""
    prefix = rng.choice(("06", "06", "07"))
    first = rng.randint(0, 9) if prefix == "06" else rng.randint(3, 9)  # 070-072 are not mobiles
    return f"{prefix}{first}{rng.randrange(10**7):07d}"


def format_phone(digits: str, style: str = "spaces") -> str:
    """Write ten phone digits as "06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78" or compact."""
    pairs = [digits[i : i + 2] for i in range(0, 10, 2)]
    if style == "spaces":
        return " ".join(pairs)
    if style == "dots":
        return ".".join(pairs)
    if style == "international":
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    return digits


def random_given_name(rng: random.Random, sex: str) -> str:
    if rng.random() < COMPOUND_GIVEN_RATE:
        return rng.choice(names.MALE_COMPOUND if sex == "M" else names.FEMALE_COMPOUND)
    return rng.choice(names.MALE_GIVEN if sex == "M" else names.FEMALE_GIVEN)


def random_family_name(rng: random.Random) -> str:
    draw = rng.random()
    if draw < PARTICLE_FAMILY_RATE:
        return rng.choice(names.FAMILY_PARTICLE)
    if draw < PARTICLE_FAMILY_RATE + COMPOUND_FAMILY_RATE:
        first, second = rng.sample(names.FAMILY, 2)
        return f"{first}-{second}"
    return rng.choice(names.FAMILY)


def email_local_part(given: str, family: str) -> tuple[str, str]:
    """prenom / nom as they appear in addresses: no accents, spaces or apostrophes, lower case."""
    return strip_accents(given).lower(), strip_accents(family).lower().replace(" ", "").replace("'", "")


def _email(rng: random.Random, given: str, family: str, birth: date) -> str:
    g, f = email_local_part(given, family)
    pattern = rng.random()
    if pattern < 0.55:
        local = f"{g}.{f}"
    elif pattern < 0.7:
        local = f"{g[0]}.{f}"
    elif pattern < 0.85:
        local = f"{g}{f}{birth.year % 100:02d}"
    else:
        local = f"{f}.{g}"
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def iter_identities(rng: random.Random, seen: SeenValues, prefix: str = "GT") -> Iterator[Identity]:
    """Endless stream of persons whose NIR, phone and e-mail are unique, also against those already in `seen`,
    which is extended in place."""
    span = (BIRTH_LAST - BIRTH_FIRST).days
    index = 0
    while True:
        index += 1
        sex = rng.choice("MF")
        given = random_given_name(rng, sex)
        family = random_family_name(rng)
        birth = BIRTH_FIRST + timedelta(days=rng.randint(0, span))
        nir = _nir(rng, sex, birth)
        while nir in seen:
            nir = _nir(rng, sex, birth)
        phone = format_phone(random_phone_digits(rng))
        while phone in seen:
            phone = format_phone(random_phone_digits(rng))
        email = _email(rng, given, family, birth)
        while email in seen:
            local, domain = email.split("@")
            email = f"{local}{rng.randint(1, 99)}@{domain}"
        for value in (nir, phone, email):
            seen.add(value)
        yield Identity(f"{prefix}{index:06d}", given, family, sex, birth, nir, phone, email)


def with_usage_name(rng: random.Random, person: Identity, married_share: float) -> Identity:
    """Give some women born before 1996 their spouse's family name as a usage name."""
    if person.sex == "F" and person.birth_date.year < 1996 and rng.random() < married_share:
        usage = random_family_name(rng)
        while usage == person.family_name:
            usage = random_family_name(rng)
        return dataclasses.replace(person, usage_family_name=usage)
    return person
