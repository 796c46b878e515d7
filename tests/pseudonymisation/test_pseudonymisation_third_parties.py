"""Redaction of people other than the record's own: relatives, workers, contacts named in a note.

The record passes only its own names to the redactor; everyone else must be found from the way
French notes introduce people ("sa fille Inès Lacroix", "la psychologue Le Roux", "Contact
famille : Sandrine Roche"). The generated corpus fills the sample generator's note templates with
names from its pools, so every name the end-to-end sample can produce is exercised here.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

import pytest

from pipelines.sample import names as pool
from pseudonymisation.name_patterns import IntroducedNameRecognizer, grow_person, trim_name
from pseudonymisation.redaction import Redactor, _fold


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


def _name_parts(name: str, shortest: int = 4) -> list[str]:
    """The parts of a name the end-to-end leak test looks for (folded, more than 3 letters)."""
    return [p for p in re.findall(r"[a-z]+", _fold(name)) if len(p) >= shortest]


def _leaks(out: str, persons: tuple[str, ...] | list[str]) -> set[str]:
    words = set(re.findall(r"[a-z]+", _fold(out)))
    return {part for person in persons for part in _name_parts(person) if part in words}


# --- the leaks seen in the warehouse -----------------------------------------------------------

SEEN_IN_THE_WAREHOUSE = [
    ("Sa fille Inès Lacroix peut être jointe au 06 12 34 56 78.", "Inès Lacroix", "Sa fille"),
    ("Sa tante Claire Vincent peut être jointe au 06.12.34.56.78.", "Claire Vincent", "Sa tante"),
    ("Suivi par le conseiller emploi Noël Bernard (tél. +33 6 12 34 56 78).", "Noël Bernard", "conseiller emploi"),
    ("Suivi par la psychologue Anne-Laure Le Roux (tél. 0612345678).", "Anne-Laure Le Roux", "la psychologue"),
    ("Son curateur Jean-Noël Léger peut être joint au 06 12 34 56 78.", "Jean-Noël Léger", "Son curateur"),
    ("Sa curatrice Aïcha Mansouri peut être jointe au 06 12 34 56 78.", "Aïcha Mansouri", "Sa curatrice"),
    ("Suivi par l'infirmière Rose-Marie Bailly (tél. 06 12 34 56 78).", "Rose-Marie Bailly", "l'infirmière"),
    ("Suivi par la psychologue Séverine Dos Santos (tél. 06 12 34 56 78).", "Séverine Dos Santos", "psychologue"),
    ("Suivi par l'infirmière Ginette Da Silva (tél. 06 12 34 56 78).", "Ginette Da Silva", "l'infirmière"),
    ("Sa curatrice Julie Le Guéné peut être jointe au 06 12 34 56 78.", "Julie Le Guéné", "Sa curatrice"),
    ("Contact famille : Sandrine Roche, sandrine.roche@exemple.fr.", "Sandrine Roche", "Contact famille :"),
    ("Sa fille Monique Deschamps peut être jointe au 06 98 76 54 32.", "Monique Deschamps", "Sa fille"),
    ("Suivi par le travailleur social Mamadou Van der Berg (tél. 06 12 34 56 78).", "Mamadou Van der Berg", "social"),
    ("Son ami Karim d'Almeida passe le lundi.", "Karim d'Almeida", "Son ami"),
    ("Sa compagne Zoé de La Fontaine est venue.", "Zoé de La Fontaine", "Sa compagne"),
    ("Son oncle Jean-Pierre GARCIA a appelé.", "Jean-Pierre GARCIA", "Son oncle"),
    ("Notre référente Camille Thébault est en congé.", "Camille Thébault", "Notre référente"),
    ("Ses voisines, Marie Roussel et Léa Côté, aident au ménage.", "Marie Roussel Léa Côté", "Ses voisines"),
    ("L'éducateur spécialisé Mamadou Diallo passe jeudi.", "Mamadou Diallo", "L'éducateur spécialisé"),
    ("La référente CAF Isabelle Morin a rappelé.", "Isabelle Morin", "La référente CAF"),
    ("Son médecin traitant, le Dr Hervé, voit Kévin mardi.", "Hervé Kévin", "Son médecin traitant, le Dr"),
    ("Rencontre avec le docteur Lefèvre et Mlle Payet.", "Lefèvre Payet", "le docteur"),
    ("Mme Karine Martin, épouse Dupont, a appelé.", "Karine Martin Dupont", "épouse"),
    ("Mme Leroy, née Benali, a rappelé.", "Leroy Benali", "née"),
    ("Mme d'Alembert et M. de Villeneuve sont absents.", "Alembert Villeneuve", "Mme"),
    ("KOWALSKI Marek présent à la visite, avec Jean DUPONT.", "KOWALSKI Marek Jean DUPONT", "présent à la visite"),
]


@pytest.mark.parametrize(("text", "person", "kept"), SEEN_IN_THE_WAREHOUSE)
def test_third_parties_are_redacted_and_the_role_word_stays(
    redactor: Redactor, text: str, person: str, kept: str
) -> None:
    out = redactor.redact(text)
    assert not _leaks(out, [person]), out
    assert kept in out, out
    assert "<PERSONNE>" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Sa fille Monique Deschamps peut être jointe au 06 98 76 54 32.",
            "Sa fille <PERSONNE> peut être jointe au <TELEPHONE>.",
        ),
        (
            "Suivi par la psychologue Séverine Dos Santos (tél. 06 12 34 56 78).",
            "Suivi par la psychologue <PERSONNE> (tél. <TELEPHONE>).",
        ),
        (
            "Contact famille : Sandrine Roche, sandrine.roche@exemple.fr.",
            "Contact famille : <PERSONNE>, <EMAIL>.",
        ),
        ("Appel de M. David le 16/08/2022, dossier CAF.", "Appel de M. <PERSONNE> le 16/08/2022, dossier CAF."),
        ("Entretien avec M. Gérard ; logement en bon état.", "Entretien avec M. <PERSONNE> ; logement en bon état."),
        ("Mme de Villeneuve a appelé.", "Mme de <PERSONNE> a appelé."),
    ],
)
def test_one_placeholder_per_name_and_the_words_around_stay(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact(text) == expected


def test_a_partial_hit_grows_to_the_whole_name(redactor: Redactor) -> None:
    # The record knows only one part of a relative's name: the rest of it goes too.
    out = redactor.redact(
        "Sa soeur Aïcha Mansouri et son frère Karim Le Roux sont passés.", names=["Mansouri", "Karim"]
    )
    assert out == "Sa soeur <PERSONNE> et son frère <PERSONNE> sont passés."


def test_a_phone_is_never_a_place(redactor: Redactor) -> None:
    notes = [
        f"Sa fille Monique Deschamps peut être jointe au {phone}."
        for phone in ("06 98 76 54 32", "06.98.76.54.32", "+33 6 98 76 54 32", "0698765432")
    ] + ["Joignable au 06 12 34 56 78 (numéro d'un proche)."]
    for out in redactor.redact_many(notes):
        assert "<TELEPHONE>" in out and "<LIEU>" not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "Point avec la psychologue du CMP, dossier MDPH en cours.",
        "L'assistante sociale du CCAS a appelé la CAF.",
        "Rendez-vous à la Mission locale avec son conseiller France Travail.",
        "Sa fille a appelé le CCAS hier.",
        "Le médecin traitant a renouvelé l'ordonnance.",
        "Son curateur UDAF a validé le budget.",
        "La référente RSA suit le dossier APL.",
        "Suivi par l'infirmière du CMP et la psychologue.",
        "Contact famille : aucun.",
        "Visite avec l'éducatrice ; logement propre. Merci.",
        "Réunion de synthèse avec le SIAO : maintien dans le logement validé.",
    ],
)
def test_role_words_without_a_name_change_nothing(redactor: Redactor, text: str) -> None:
    assert redactor.redact(text) == text


# --- the pieces ---------------------------------------------------------------------------------


def test_the_recogniser_reports_only_the_name() -> None:
    text = "Suivi par la psychologue Anne Le Roux (tél. 06 12 34 56 78). Mme Ben Salah a appelé."
    spans = sorted(text[r.start : r.end] for r in IntroducedNameRecognizer().analyze(text, ["PERSON"]))
    assert spans == ["Anne Le Roux", "Ben Salah"]
    assert IntroducedNameRecognizer().analyze(text, ["PHONE_NUMBER"]) == []


def test_registry_holds_the_introduced_name_recogniser(redactor: Redactor) -> None:
    assert "FrIntroducedPersonRecognizer" in {r.name for r in redactor.analyzer.registry.recognizers}


@pytest.mark.parametrize(
    ("text", "hit", "grown"),
    [
        ("la psychologue Anne Le Roux (tél.", "Anne", "Anne Le Roux"),
        ("Sa curatrice Aïcha Mansouri peut", "Mansouri", "Aïcha Mansouri"),
        ("le conseiller Jean Rousseau-Renard (tél.", "Rousseau", "Jean Rousseau-Renard"),
        ("Visite de Mme Aïcha Dupont ce jour", "Dupont", "Aïcha Dupont"),  # the title stays out
        ("Rencontre avec Mohamed Ben Saïd hier", "Saïd", "Mohamed Ben Saïd"),
        ("Le Roux est venu", "Roux", "Roux"),  # "Le" alone at a sentence start is the article
        ("Appel de Karim le 12/03 au CCAS", "Karim", "Karim"),
        ("avec Karim CAF Lyon", "Karim", "Karim"),
    ],
)
def test_grow_person(text: str, hit: str, grown: str) -> None:
    start = text.index(hit)
    start, end = grow_person(text, start, start + len(hit))
    assert text[start:end] == grown


@pytest.mark.parametrize(
    ("span", "capitalised", "name"),
    [
        ("Appel de M. David", False, "David"),
        ("Mme Aïcha Dupont", True, "Aïcha Dupont"),
        ("CAF Isabelle Morin", True, "Isabelle Morin"),
        ("helene", False, "helene"),
        ("helene", True, None),
        ("Rendez-vous", False, None),
        ("d'Almeida", True, "d'Almeida"),
    ],
)
def test_trim_name(span: str, capitalised: bool, name: str | None) -> None:
    trimmed = trim_name(span, 0, len(span), capitalised=capitalised)
    assert (span[trimmed[0] : trimmed[1]] if trimmed else None) == name


# --- a corpus built like the sample generator's notes -------------------------------------------

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
# Ways of naming someone the generator does not use (yet), in the same register.
_MORE_CONTACTS = (
    "Le Dr {other} a vu {civ} {family} le {d}.",
    "Notre référente {other} passera le {d}.",
    "Ses voisins, {other} et {third}, aident au ménage.",
    "Rencontre avec {other_upper} à l'hôpital le {d}.",
    "Mme {other_family}, née {third_family}, a appelé le {d}.",
)
_PHONE_STYLES = ("06 {a} {b} {c} {d}", "06.{a}.{b}.{c}.{d}", "+33 6 {a} {b} {c} {d}", "06{a}{b}{c}{d}")


@dataclass
class GeneratedNote:
    text: str
    record_names: list[str]
    persons: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)


def _given(rng: random.Random, sex: str) -> str:
    if rng.random() < 0.15:
        return rng.choice(pool.MALE_COMPOUND if sex == "M" else pool.FEMALE_COMPOUND)
    return rng.choice(pool.MALE_GIVEN if sex == "M" else pool.FEMALE_GIVEN)


def _family(rng: random.Random) -> str:
    draw = rng.random()
    if draw < 0.15:
        return rng.choice(pool.FAMILY_PARTICLE)
    if draw < 0.25:
        return "-".join(rng.sample(pool.FAMILY, 2))
    return rng.choice(pool.FAMILY)


def _phone(rng: random.Random) -> str:
    pairs = {k: f"{rng.randrange(100):02d}" for k in "abcd"}
    return rng.choice(_PHONE_STYLES).format(**pairs)


def _strip_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _generated_note(rng: random.Random) -> GeneratedNote:
    sex = rng.choice("MF")
    given, family = _given(rng, sex), _family(rng)
    if rng.random() < 0.2:  # the partner dropped the accents
        given, family = _strip_accents(given), _strip_accents(family)
    note = GeneratedNote("", [given, family], persons=[given, family])
    fields = {
        "d": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2021, 2025)}",
        "civ": "Mme" if sex == "F" else "M.",
        "full": f"{given} {family}",
        "given": given,
        "family": family,
        "absent": "absente" if sex == "F" else "absent",
    }
    openers = _OPENERS_NAMED if rng.random() < 0.88 else _OPENERS_ANONYMOUS
    sentences = [rng.choice(openers).format(**fields)]
    if rng.random() < 0.7:
        phone = _phone(rng)
        note.sensitive.append(phone)
        if rng.random() < 0.5:
            phrase, other_sex = rng.choice(pool.RELATIVES)
            same = phrase in ("sa soeur", "son frère", "sa mère", "son père", "sa fille", "son fils")
            other = f"{_given(rng, other_sex)} {family if same and rng.random() < 0.5 else _family(rng)}"
            joined = "jointe" if other_sex == "F" else "joint"
            sentences.append(f"{phrase.capitalize()} {other} peut être {joined} au {phone}.")
        else:
            phrase, other_sex = rng.choice(pool.WORKERS)
            other = f"{_given(rng, other_sex)} {_family(rng)}"
            sentences.append(f"Suivi par {phrase} {other} (tél. {phone}).")
        note.persons.append(other)
    if rng.random() < 0.25:
        other = f"{_given(rng, rng.choice('MF'))} {_family(rng)}"
        local = re.sub(r"[^a-z]+", ".", _fold(other)).strip(".")
        email = f"{local}@exemple.fr"
        sentences.append(f"Contact famille : {other}, {email}.")
        note.persons.append(other)
        note.sensitive.append(email)
    if rng.random() < 0.3:
        other, third = (f"{_given(rng, rng.choice('MF'))} {_family(rng)}" for _ in range(2))
        other_family, third_family = _family(rng), _family(rng)
        other_upper = f"{other.split()[0]} {_fold(_strip_accents(other_family)).upper()}"
        extra = rng.choice(_MORE_CONTACTS).format(
            other=other, third=third, other_upper=other_upper, other_family=other_family,
            third_family=third_family, **fields,
        )  # fmt: skip
        sentences.append(extra)
        note.persons += [other, third, other_upper, other_family, third_family]
    if len(sentences) < 3 and rng.random() < 0.25:
        postcode, town = rng.choice(pool.TOWNS_BY_SITE[rng.choice(list(pool.TOWNS_BY_SITE))])
        address = f"{rng.randint(1, 120)} {rng.choice(pool.STREETS)}, {postcode} {town}"
        sentences.append(f"Courrier à envoyer au {address}.")
        note.sensitive.append(address)
    note.text = " ".join(sentences)
    note.persons = [p for p in note.persons if p in note.text]
    return note


GENERATED = [_generated_note(random.Random(f"note-{i}")) for i in range(300)]


@pytest.fixture(scope="module")
def generated_out(redactor: Redactor) -> list[str]:
    return redactor.redact_many([n.text for n in GENERATED], [n.record_names for n in GENERATED])


def test_generated_corpus_names_many_third_parties() -> None:
    third_parties = sum(len(n.persons) - 2 for n in GENERATED)
    assert third_parties >= 150
    assert any(" Le " in n.text or " Da " in n.text or " Dos " in n.text for n in GENERATED)


def test_no_name_part_survives_in_generated_notes(generated_out: list[str]) -> None:
    leaking = [(out, _leaks(out, n.persons)) for n, out in zip(GENERATED, generated_out, strict=True)]
    leaking = [pair for pair in leaking if pair[1]]
    assert not leaking, f"{len(leaking)} notes leak a name, e.g. {leaking[:3]}"


def test_no_phone_email_or_address_survives_in_generated_notes(generated_out: list[str]) -> None:
    for note, out in zip(GENERATED, generated_out, strict=True):
        for value in note.sensitive:
            digits = re.sub(r"\D", "", value)
            assert value not in out and (len(digits) < 8 or digits[-8:] not in re.sub(r"\D", "", out)), out
        assert "<LIEU>" not in out or "<ADRESSE>" in out, out


def test_ordinary_words_survive_in_generated_notes(generated_out: list[str]) -> None:
    kept = total = 0
    for note, out in zip(GENERATED, generated_out, strict=True):
        spans = [m.span() for s in note.persons + note.sensitive for m in re.finditer(re.escape(s), note.text)]
        out_words = set(re.findall(r"\w+", out))
        for word in re.finditer(r"\w+", note.text):
            if not any(a < word.end() and word.start() < b for a, b in spans):
                total += 1
                kept += word.group() in out_words
    assert kept / total >= 0.95, f"only {kept}/{total} non-sensitive words survive"
    for word in ("logement", "visite", "dossier", "CAF", "euros", "RAS", "Suivi", "Contact", "famille"):
        before = sum(bool(re.search(rf"\b{word}\b", n.text)) for n in GENERATED)
        after = sum(bool(re.search(rf"\b{word}\b", out)) for out in generated_out)
        assert after >= 0.95 * before, word
    for phrase, _ in pool.RELATIVES + pool.WORKERS:
        before = sum(phrase.capitalize() in n.text or phrase in n.text for n in GENERATED)
        after = sum(phrase.capitalize() in out or phrase in out for out in generated_out)
        assert after == before, phrase
