"""Free-text case notes written by the housing team, full of identifiers for the redaction step.

Notes name the person (as the housing partner spells them), often a relative or a worker, and carry
phones in several formats, sometimes an e-mail or a postal address. Some contain ";" and double
quotes so that the CSV writer has to quote them. No line breaks: one note stays on one line.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from pipelines.sample import names
from pipelines.sample.identities import (
    EMAIL_DOMAINS,
    email_local_part,
    format_phone,
    random_family_name,
    random_given_name,
    random_phone_digits,
)
from pipelines.sample.noise import PartnerView

NAME_MENTION_RATE = 0.88
CONTACT_RATE = 0.6
EMAIL_RATE = 0.2
ADDRESS_RATE = 0.25
SAME_SURNAME = frozenset({"sa soeur", "son frère", "sa mère", "son père", "sa fille", "son fils"})
PHONE_STYLES = ("spaces", "spaces", "dots", "international", "compact")

_OPENERS_NAMED = (
    "Visite à domicile du {d} : {civ} {full} va bien.",
    "Entretien du {d} avec {civ} {family} ; logement en bon état.",
    "{given} signale des difficultés avec le voisinage depuis le {d}.",
    'RDV du {d} : {civ} {full} dit se sentir "plus stable" depuis l\'entrée dans le logement.',
    "Appel de {civ} {family} le {d}, demande d'aide pour un dossier CAF.",
    "{civ} {full} {absent} lors de la visite du {d} ; repasser la semaine prochaine.",
    "Accompagnement santé : {given} a repris contact avec son médecin le {d}.",
    "Point budget le {d} avec {civ} {family} ; dette de loyer en cours d'apurement (50 euros/mois).",
)
_OPENERS_ANONYMOUS = (
    "Visite à domicile du {d} ; RAS.",
    "Logement en bon état, pas de signalement au {d}.",
    "Pas de nouvelles depuis le {d}, relance prévue.",
)


def _someone(rng: random.Random, sex: str, family: str | None = None) -> str:
    return f"{random_given_name(rng, sex)} {family or random_family_name(rng)}"


def _contact(rng: random.Random, view: PartnerView) -> str:
    phone = format_phone(random_phone_digits(rng), rng.choice(PHONE_STYLES))
    draw = rng.random()
    if draw < 0.5:
        phrase, sex = rng.choice(names.RELATIVES)
        joined = "jointe" if sex == "F" else "joint"
        # family often share the surname, which a redactor must still catch
        family = view.family_name if phrase in SAME_SURNAME and rng.random() < 0.5 else None
        return f"{phrase.capitalize()} {_someone(rng, sex, family)} peut être {joined} au {phone}."
    if draw < 0.8:
        phrase, sex = rng.choice(names.WORKERS)
        return f"Suivi par {phrase} {_someone(rng, sex)} (tél. {phone})."
    if view.phone:
        own = format_phone(view.phone.replace(" ", ""), rng.choice(PHONE_STYLES))
        return f"Nouveau numéro : {own}."
    return f"Joignable au {phone} (numéro d'un proche)."


def _email(rng: random.Random, view: PartnerView) -> str:
    if view.email and rng.random() < 0.6:
        return f"Écrire à {view.email} pour les justificatifs."
    sex = rng.choice("MF")
    given, family = random_given_name(rng, sex), random_family_name(rng)
    g, f = email_local_part(given, family)
    return f"Contact famille : {given} {family}, {g}.{f}@{rng.choice(EMAIL_DOMAINS)}."


def _address(rng: random.Random, site: str) -> str:
    postcode, town = rng.choice(names.TOWNS_BY_SITE[site])
    address = f"{rng.randint(1, 120)} {rng.choice(names.STREETS)}, {postcode} {town}"
    return rng.choice(("Nouvelle adresse : {a}.", "RDV fixé au {a}.", "Courrier à envoyer au {a}.")).format(a=address)


def case_note(rng: random.Random, view: PartnerView, site: str, entry: date, as_of: date) -> str:
    """One to three sentences about a visit between entry and the extract date."""
    visit = entry + timedelta(days=rng.randint(0, (as_of - entry).days))
    fields = {
        "d": f"{visit.day:02d}/{visit.month:02d}/{visit.year}",
        "civ": "Mme" if view.sex == "F" else "M.",
        "full": f"{view.given_name} {view.family_name}",
        "given": view.given_name,
        "family": view.family_name,
        "absent": "absente" if view.sex == "F" else "absent",
    }
    openers = _OPENERS_NAMED if rng.random() < NAME_MENTION_RATE else _OPENERS_ANONYMOUS
    sentences = [rng.choice(openers).format(**fields)]
    if rng.random() < CONTACT_RATE:
        sentences.append(_contact(rng, view))
    if rng.random() < EMAIL_RATE:
        sentences.append(_email(rng, view))
    if len(sentences) < 3 and rng.random() < ADDRESS_RATE:
        sentences.append(_address(rng, site))
    return " ".join(sentences)
