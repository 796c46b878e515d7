# ruff: noqa: E501  (one template per line reads better than split strings)
"""A labelled set of French case-note sentences (entirely fictitious) for measuring redaction per type.

Each template is written the way workers write notes, its sensitive spans marked inline as
``[text](TYPE)``; filling the templates with rotating people and identifiers gives ``LABELLED`` (>= 200
sentences) with exact character spans. Types: PERSON, PHONE, EMAIL, NIR, IBAN, ADDRESS, BIRTH_DATE,
LOCATION. ``names`` is what the record itself knows (the person's given and family names), as ingestion
passes them; third parties (kin, staff, landlords) are not in it and only NER or the introduced-name
patterns can catch them. NIRs and IBANs carry valid check keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TYPES = ("PERSON", "PHONE", "EMAIL", "NIR", "IBAN", "ADDRESS", "BIRTH_DATE", "LOCATION")


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class Labelled:
    text: str
    names: tuple[str, ...]
    spans: tuple[Span, ...]


_MARK = re.compile(r"\[([^\[\]]+)\]\(([A-Z_]+)\)")


def parse(marked: str, types: tuple[str, ...] = TYPES) -> tuple[str, tuple[Span, ...]]:
    """Plain text and spans of a sentence marked up as ``[text](TYPE)``, each TYPE one of `types`."""
    text, spans, position = [], [], 0
    length = 0
    for match in _MARK.finditer(marked):
        before = marked[position : match.start()]
        text.append(before)
        length += len(before)
        value, kind = match.groups()
        if kind not in types:
            raise ValueError(f"unknown type {kind}")
        spans.append(Span(kind, length, length + len(value)))
        text.append(value)
        length += len(value)
        position = match.end()
    text.append(marked[position:])
    return "".join(text), tuple(spans)


def _nir(body: str) -> str:
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:]
    key = 97 - int(numeric) % 97
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def iban(country: str, bban: str) -> str:
    """An IBAN with valid check digits, printed in groups of four."""
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(digits) % 97
    compact = f"{country}{check:02d}{bban}"
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


# The record's person: given and family name, as the record holds them.
PEOPLE = [
    ("Fatou", "Diallo"),
    ("Jean-Pierre", "Lefebvre"),
    ("Aïcha", "Benali"),
    ("Mathieu", "Rousseau"),
    ("Nadia", "Haddad"),
    ("Kevin", "Moreau"),
    ("Marie-Hélène", "Dupont"),
    ("Youssef", "El Amrani"),
    ("Sandrine", "Girard"),
    ("Thierry", "Lambert"),
    ("Awa", "Traoré"),
    ("Grégory", "Fontaine"),
]
# People the record does not name: relatives, staff, landlords.
OTHERS = [
    "Sophie Marchand",
    "Ibrahim Koné",
    "Claire Dubois",
    "Patrick Lemoine",
    "Samira Bouzid",
    "Olivier Garnier",
    "Lucie Perrin",
    "Mamadou Sow",
    "Isabelle Chevalier",
    "Antoine Mercier",
    "Nathalie Roux",
]
PHONES = ["06 12 34 56 78", "07.81.22.45.90", "0645789012", "+33 6 52 14 87 33", "01 43 22 18 90", "06-98-76-54-32"]
EMAILS = [
    "f.diallo75@gmail.com",
    "jp.lefebvre@orange.fr",
    "aicha.b@hotmail.fr",
    "m.rousseau@laposte.net",
    "nadia.h92@free.fr",
]
NIRS = [_nir(b) for b in ("2840573054082", "1750675115123", "2920269388007", "1880913055441", "285052A004012")]
IBANS = [
    iban("FR", b)
    for b in (
        "30004000031234567890143",
        "10107001180012345678902",
        "20041010050500013M02606",
        "30002005500000157841Z25",
    )
]
ADDRESSES = [
    "12 rue des Lilas",
    "3 bis avenue Jean-Jaurès",
    "45 boulevard de la Croix-Rousse 69004 Lyon",
    "8 impasse du Moulin",
    "27 rue Victor Hugo 93100 Montreuil",
]
BIRTH_DATES = ["12/03/1975", "3 janvier 2001", "1er mai 1968", "30/07/1988"]
TOWNS = ["Marseille", "Lille", "Toulouse", "Nantes", "Strasbourg"]

# {g} {f}: the record's person; {o} another person; {ph} {em} {nir} {iban} {addr} {dob} {town}.
TEMPLATES = [
    "Visite à domicile chez [{g} {f}](PERSON), logement propre, rendez-vous CCAS prévu jeudi.",
    "Mme [{f}](PERSON) a appelé le [{ph}](PHONE) pour signaler une fuite dans la salle de bain.",
    "[{g}](PERSON) est joignable au [{ph}](PHONE) l'après-midi.",
    "Entretien avec [{g}](PERSON) : elle souhaite reprendre contact avec sa sœur [{o}](PERSON).",
    "M. [{f}](PERSON) nous écrit depuis [{em}](EMAIL) au sujet de son dossier APL.",
    "Numéro de sécurité sociale de [{g} {f}](PERSON) : [{nir}](NIR).",
    "RIB transmis au bailleur : [{iban}](IBAN).",
    "Nouvelle adresse de [{g}](PERSON) : [{addr}](ADDRESS).",
    "[{g} {f}](PERSON), née le [{dob}](BIRTH_DATE), accompagnée depuis mars.",
    "Le référent [{o}](PERSON) a rappelé au [{ph}](PHONE), dossier MDPH en cours.",
    "Contact famille : [{o}](PERSON), [{ph}](PHONE).",
    "[{f}](PERSON) a oublié son rendez-vous au CMP, relance prévue lundi.",
    "Courriel de [{g}](PERSON) ([{em}](EMAIL)) : demande d'attestation d'hébergement.",
    "Carte vitale perdue, NIR [{nir}](NIR) communiqué à la CPAM.",
    "Le propriétaire, M. [{o}](PERSON), accepte l'échéancier de la dette locative.",
    "Accompagnement de [{g}](PERSON) à la préfecture pour le renouvellement du titre de séjour.",
    "Sa fille [{o}](PERSON) vient le voir le week-end.",
    "[{g} {f}](PERSON) habite désormais au [{addr}](ADDRESS), bail signé.",
    "Virement de l'allocation sur le compte [{iban}](IBAN) au nom de [{f}](PERSON).",
    "Appel de la mandataire judiciaire [{o}](PERSON) au [{ph}](PHONE) : curatelle renforcée.",
    "Mme [{g} {f}](PERSON) refuse l'hospitalisation, le Dr [{o}](PERSON) est informé.",
    "Rencontre avec l'infirmière [{o}](PERSON) pour le suivi du traitement de [{g}](PERSON).",
    "[{g}](PERSON) a trouvé un emploi en CDD chez un paysagiste, très fier.",
    "Téléphone de [{f}](PERSON) coupé ; nouveau numéro : [{ph}](PHONE).",
    "Adresse mail de [{g}](PERSON) : [{em}](EMAIL).",
    "Date de naissance : [{dob}](BIRTH_DATE), vérifiée sur la pièce d'identité.",
    "Visite de [{o}](PERSON), ami de [{g}](PERSON), qui l'héberge parfois.",
    "[{g}](PERSON) est parti(e) quelques jours à [{town}](LOCATION) voir sa famille.",
    "Synthèse avec le SPIP : [{f}](PERSON) respecte ses obligations de pointage.",
    "Le conseiller emploi [{o}](PERSON) propose un atelier CV à [{g}](PERSON).",
    "Appel à [{g} {f}](PERSON) sans réponse, message laissé sur le [{ph}](PHONE).",
    "Dossier FSL : RIB [{iban}](IBAN), attestation CAF jointe.",
    "Le NIR de [{f}](PERSON) ([{nir}](NIR)) figure sur l'attestation de droits.",
    "[{g}](PERSON) signale des tensions avec son voisin [{o}](PERSON).",
    "Mme [{o}](PERSON), tutrice, demande un point budget mensuel.",
    "Entrée dans le logement du [{addr}](ADDRESS) le 4 avril, état des lieux fait.",
    "[{f}](PERSON) [{g}](PERSON) a été hospitalisé(e) aux urgences samedi, sorti(e) lundi.",
    "Rendez-vous pris pour [{g}](PERSON) chez le dentiste mardi à 14 h.",
    "Coordonnées de [{g} {f}](PERSON) mises à jour : [{ph}](PHONE), [{em}](EMAIL).",
    "Courrier de relance de l'huissier, [{g}](PERSON) inquiète, orientation vers l'ADIL.",
    "La psychologue [{o}](PERSON) voit [{g}](PERSON) tous les quinze jours.",
    "[{g}](PERSON) souhaite être domicilié(e) au CCAS en attendant, ancienne adresse [{addr}](ADDRESS).",
    "Son frère [{o}](PERSON) a repris contact après deux ans de silence.",
    "Ouverture de droits RSA pour [{g} {f}](PERSON), NIR [{nir}](NIR).",
    "[{f}](PERSON) a payé son loyer de mars en deux fois.",
    "Point avec [{g}](PERSON) sur la consommation d'alcool, baisse constatée.",
    "Monsieur [{f}](PERSON) a donné son accord pour le partage d'informations avec l'hôpital.",
    "Nouveau compte bancaire ouvert : [{iban}](IBAN).",
    "[{g}](PERSON) demande qu'on écrive plutôt à [{em}](EMAIL).",
    "En présence de sa compagne [{o}](PERSON), [{g}](PERSON) évoque son projet de formation.",
    "Le Dr [{o}](PERSON) (CMP) renouvelle l'ordonnance de [{f}](PERSON).",
    "[{g} {f}](PERSON) est né(e) le [{dob}](BIRTH_DATE) à [{town}](LOCATION).",
    "Joindre [{f}](PERSON) de préférence par SMS au [{ph}](PHONE).",
    "Médiation avec le bailleur réussie, [{g}](PERSON) reste dans le logement.",
    "Aucune nouvelle de [{g}](PERSON) depuis dix jours, signalement à l'équipe.",
]


def _fill(index: int, template: str, round_: int) -> Labelled:
    given, family = PEOPLE[(index + round_ * 5) % len(PEOPLE)]
    n = index + round_ * 7
    values = {
        "g": given,
        "f": family,
        "o": OTHERS[n % len(OTHERS)],
        "ph": PHONES[n % len(PHONES)],
        "em": EMAILS[n % len(EMAILS)],
        "nir": NIRS[n % len(NIRS)],
        "iban": IBANS[n % len(IBANS)],
        "addr": ADDRESSES[n % len(ADDRESSES)],
        "dob": BIRTH_DATES[n % len(BIRTH_DATES)],
        "town": TOWNS[n % len(TOWNS)],
    }
    text, spans = parse(template.format(**values))
    return Labelled(text, (given, family), spans)


ROUNDS = 4
LABELLED: list[Labelled] = [_fill(i, t, r) for r in range(ROUNDS) for i, t in enumerate(TEMPLATES)]
