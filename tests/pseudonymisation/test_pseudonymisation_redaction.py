"""Free-text redaction: quality on realistic French case notes, record-aware names, no network."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from case_notes import CASE_NOTES, CaseNote
from phone_corpus import phone_texts

from pseudonymisation.redaction import PLACEHOLDERS, Redactor, _fold


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture(scope="module")
def redacted(redactor: Redactor) -> list[str]:
    return redactor.redact_many([n.text for n in CASE_NOTES], [n.names for n in CASE_NOTES])


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(_fold(word))}(?!\w)", _fold(text)) is not None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def test_corpus_is_big_enough() -> None:
    assert len(CASE_NOTES) >= 40


@pytest.mark.parametrize("index", range(len(CASE_NOTES)))
def test_no_direct_identifier_survives(redacted: list[str], index: int) -> None:
    note: CaseNote = CASE_NOTES[index]
    out = redacted[index]
    for person in note.persons:
        for token in re.split(r"[\W_]+", person):
            if len(token) > 1:
                assert not _has_word(out, token), (token, out)
    for number in note.phones + note.nirs:
        assert _digits(number)[-8:] not in _digits(out), out
    for value in note.emails + note.ibans + note.addresses + note.birth_dates + note.places:
        assert value not in out, out
    for iban in note.ibans:
        assert iban.replace(" ", "")[4:12] not in out.replace(" ", ""), out


def test_non_sensitive_words_mostly_survive(redacted: list[str]) -> None:
    kept = total = 0
    for note, out in zip(CASE_NOTES, redacted, strict=True):
        spans = [m.span() for s in note.sensitive for m in re.finditer(re.escape(s), note.text)]
        out_words = set(re.findall(r"\w+", out))
        for word in re.finditer(r"\w+", note.text):
            if any(a < word.end() and word.start() < b for a, b in spans):
                continue
            total += 1
            kept += word.group() in out_words
    assert kept / total >= 0.70, f"only {kept}/{total} non-sensitive words survive"


def test_service_vocabulary_is_kept(redacted: list[str]) -> None:
    for word in ("logement", "visite", "rendez-vous", "CCAS", "CAF", "SPIP", "Mission locale"):
        originals = [n.text for n in CASE_NOTES if word.lower() in n.text.lower()]
        survived = [o for o in redacted if word.lower() in o.lower()]
        assert len(survived) >= 0.8 * len(originals), word


EACH_KIND = [
    ("Tél : 06.12.34.56.78.", "<TELEPHONE>", "06.12"),
    ("Tél : +33 (0)6 12 34 56 78.", "<TELEPHONE>", "12 34"),
    ("Numéro 0612345678 à rappeler.", "<TELEPHONE>", "0612345678"),
    ("Numéro +44 20 7946 0958 à rappeler.", "<TELEPHONE>", "7946"),
    ("Écrire à jean.dupont@laposte.net demain.", "<EMAIL>", "laposte"),
    ("NIR 1 85 05 78 006 084 91 transmis.", "<NIR>", "006 084"),
    ("NIR 1.85.05.78.006.084.91 transmis.", "<NIR>", "006.084"),
    ("NIR 192052A00412304 transmis.", "<NIR>", "2A004"),
    ("NIR 1 85 05 78 006 084 sans la clé.", "<NIR>", "006 084"),
    ("RIB FR76 3000 6000 0112 3456 7890 189 reçu.", "<IBAN>", "3000 6000"),
    ("RIB FR7630006000011234567890189 reçu.", "<IBAN>", "30006000"),
    ("Il habite 12 rue des Lilas 69003 Lyon.", "<ADRESSE>", "Lilas"),
    ("Emménagement au 3 bis avenue Jean-Jaurès.", "<ADRESSE>", "Jaurès"),
    ("Adresse : 5, boulevard de la Croix-Rousse, 69004 Lyon.", "<ADRESSE>", "Croix"),
    ("Née le 3 janvier 2001 à Lyon.", "<DATE_NAISSANCE>", "2001"),
    ("Il est né le 14/07/1986, arrivé en 2012.", "<DATE_NAISSANCE>", "1986"),
    ("Date de naissance : 01/02/1990.", "<DATE_NAISSANCE>", "1990"),
    ("Rencontre avec Dr Marchand ce matin.", "<PERSONNE>", "Marchand"),
    ("Il vit à Villeurbanne depuis mai.", "<LIEU>", "Villeurbanne"),
]


@pytest.mark.parametrize(("text", "placeholder", "gone"), EACH_KIND)
def test_each_kind_gets_its_placeholder(redactor: Redactor, text: str, placeholder: str, gone: str) -> None:
    out = redactor.redact(text)
    assert placeholder in out and gone not in out, out


def test_appointment_dates_are_kept(redactor: Redactor) -> None:
    out = redactor.redact("Rendez-vous le 3 janvier 2025 au CCAS.")
    assert "3 janvier 2025" in out and "CCAS" in out


def test_invalid_nir_key_is_not_a_nir(redactor: Redactor) -> None:
    assert "<NIR>" not in redactor.redact("Dossier 1 85 05 78 006 084 36 à vérifier.")


def test_known_names_are_redacted_ignoring_case_and_accents(redactor: Redactor) -> None:
    out = redactor.redact(
        "helene est passée, HÉLÈNE a signé ; Lefevre aussi. Le ménage est fait.",
        names=["Hélène", "Lefèvre"],
    )
    assert out.count("<PERSONNE>") == 3, out
    assert "ménage" in out


def test_known_names_match_whole_words_only(redactor: Redactor) -> None:
    out = redactor.redact("Ali et Alice parlent d'aide alimentaire avec ALI.", names=["Ali"])
    assert "Alice" in out and "alimentaire" in out
    assert not _has_word(out, "Ali")


def test_compound_names_become_one_placeholder(redactor: Redactor) -> None:
    out = redactor.redact("visite de marie-helene ce jour", names=["Marie-Hélène"])
    assert out == "visite de <PERSONNE> ce jour"


def test_name_particles_alone_are_not_redacted(redactor: Redactor) -> None:
    out = redactor.redact("Il parle de la famille de la fontaine.", names=["de La Fontaine"])
    assert out.startswith("Il parle de la famille ") and "fontaine" not in out.lower()
    out = redactor.redact("Le logement a été visité.", names=["Le", "A"])
    assert out == "Le logement a été visité."


def test_names_inside_an_email_leave_one_email_placeholder(redactor: Redactor) -> None:
    out = redactor.redact("Mail : karim.benali@gmail.com", names=["Karim", "Benali"])
    assert out == "Mail : <EMAIL>"


def test_title_is_kept_before_the_name(redactor: Redactor) -> None:
    out = redactor.redact("Mme Fatou Diallo a appelé.", names=["Fatou", "Diallo"])
    assert out == "Mme <PERSONNE> a appelé."


def test_empty_and_none_are_returned_as_is(redactor: Redactor) -> None:
    assert redactor.redact(None) is None  # type: ignore[arg-type]
    assert redactor.redact("") == ""
    assert redactor.redact("   ") == "   "
    assert redactor.redact_many([]) == []
    out = redactor.redact_many([None, "", "Appel de Karim.", None], [[], [], ["Karim"], ["x"]])
    assert out == [None, "", "Appel de <PERSONNE>.", None]


def test_redact_many_matches_redact(redactor: Redactor) -> None:
    notes = CASE_NOTES[:12]
    many = redactor.redact_many([n.text for n in notes], [n.names for n in notes], batch_size=5)
    assert many == [redactor.redact(n.text, n.names) for n in notes]


def test_redact_many_checks_names_length(redactor: Redactor) -> None:
    with pytest.raises(ValueError, match="names has 1 entries for 2 texts"):
        redactor.redact_many(["a", "b"], [["x"]])


def test_registry_holds_only_chosen_french_recognisers(redactor: Redactor) -> None:
    recognisers = redactor.analyzer.registry.recognizers
    assert {r.supported_language for r in recognisers} == {"fr"}
    names = {r.name for r in recognisers}
    assert {"FrNirRecognizer", "FrPhoneRecognizer", "FrAddressRecognizer", "OfflineEmailRecognizer"} <= names
    assert not any("Us" in n or "Uk" in n for n in names)
    assert set(PLACEHOLDERS) >= set(redactor.analyzer.get_supported_entities("fr"))


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no spaCy model"):
        Redactor(language="xx")


# --- no network --------------------------------------------------------------------------------


@pytest.fixture
def network_attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record and refuse every DNS lookup and socket connection."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:2]))
        raise OSError("network access attempted during a test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield attempts


def test_the_network_guard_catches_stock_tldextract(network_attempts: list[str], tmp_path: Path) -> None:
    # Control: tldextract's default configuration, with an empty cache, does try to download.
    import tldextract

    tldextract.TLDExtract(cache_dir=str(tmp_path))("exemple.fr")
    assert network_attempts


def test_redactor_never_touches_the_network(network_attempts: list[str]) -> None:
    redactor = Redactor()
    out = redactor.redact("Écrire à marie.dupont@exemple.fr ou m.d@sub.domaine.co.uk.", names=["Marie"])
    assert out == "Écrire à <EMAIL> ou <EMAIL>."
    assert network_attempts == []


def test_amounts_are_not_addresses(redactor: Redactor) -> None:
    out = redactor.redact("Reste 12000 Euros de dette, courrier envoyé au 69003 Lyon.")
    assert "12000 Euros" in out and out.endswith("au <ADRESSE>.")


# --- the batched path ----------------------------------------------------------------------------


def test_identical_texts_keep_their_own_record_names(redactor: Redactor) -> None:
    text = "Appel de Karim, puis de Mme Benali."
    out = redactor.redact_many([text, text, text], [["Karim"], [], ["Karim"]])
    assert out[0] == out[2] == redactor.redact(text, ["Karim"]) == "Appel de <PERSONNE>, puis de Mme <PERSONNE>."
    assert out[1] == redactor.redact(text)


@pytest.fixture
def ner_texts(redactor: Redactor, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the batched path hands to spaCy."""
    seen: list[str] = []
    pipe = redactor._nlp.pipe

    def spy(texts, **kwargs):
        texts = list(texts)
        seen.extend(texts)
        return pipe(texts, **kwargs)

    monkeypatch.setattr(redactor._nlp, "pipe", spy)
    return seen


def test_ner_runs_only_where_a_capitalised_word_is_left_unexplained(redactor: Redactor, ner_texts: list[str]) -> None:
    explained = [
        "Visite à domicile chez Fatou Diallo, rendez-vous CCAS prévu jeudi.",  # the record's names
        "Sa fille Inès Lacroix peut être jointe au 06 12 34 56 78.",  # an introduced name
        "Nouvelle adresse : 12 rue des Lilas, 69003 Lyon.",  # inside an address
        "RAS. Le logement est propre, NIR transmis à la CPAM.",  # vocabulary
        "pas de nouvelles depuis lundi",
    ]
    unexplained = ["Il vit à Villeurbanne depuis mai.", "Fatou a vu Mamadou au CMP."]
    out = redactor.redact_many(explained + unexplained, [["Fatou", "Diallo"]] * len(explained + unexplained))
    assert ner_texts == unexplained
    assert out[-2] == "Il vit à <LIEU> depuis mai."
    assert "Mamadou" not in out[-1] and "Fatou" not in out[-1]


def test_skipping_ner_loses_nothing_on_the_case_notes(redactor: Redactor) -> None:
    texts, names = [n.text for n in CASE_NOTES], [n.names for n in CASE_NOTES]
    gated = redactor.analyse_many(texts, names)
    everywhere = redactor.analyse_many(texts, names, always_ner=True)
    for text, a, b in zip(texts, gated, everywhere, strict=True):
        covered = {i for r in a or [] for i in range(r.start, r.end)}
        assert all(i in covered for r in b or [] for i in range(r.start, r.end)), text


@pytest.mark.parametrize(
    ("word", "plain"),
    [
        ("Rencontre", True),
        ("NIR", True),
        ("CCAS", True),
        ("Rendez-vous", True),
        ("L'infirmière", True),
        ("Le", True),
        ("Marchand", False),
        ("Fontaine", False),
        ("Rose", False),
        ("DUPONT", False),
        ("d'Almeida", False),
    ],
)
def test_what_cannot_be_a_name(word: str, plain: bool) -> None:
    from pseudonymisation.name_patterns import cannot_be_name

    assert cannot_be_name(word, frozenset({"le", "la"})) is plain


def _gate_corpus() -> list[str]:
    """Texts holding what each pattern recogniser finds: every region's phone numbers, NIRs, IBANs, cards..."""
    texts = [n.text for n in CASE_NOTES] + [row[0] for row in EACH_KIND]
    return texts + phone_texts("Tél", "appeler le", "puis", ["", "+", "00", "le ", "(+"], seed=4)


def test_gates_let_through_every_text_a_recogniser_finds_something_in(redactor: Redactor) -> None:
    missed = []
    for text in _gate_corpus():
        for recogniser, gate in redactor._pattern_recognisers:
            if gate is not None and not gate(text) and recogniser.analyze(text, redactor._entities, None):
                missed.append((recogniser.name, text))
    assert missed == []


def _names_by_one_pattern(text: str, names: list) -> list[tuple[int, int]]:
    """The reference: one regular expression of all the names, longest alternative first."""
    from pseudonymisation.redaction import _PARTICLES

    alternatives: set[str] = set()
    for full in names:
        if isinstance(full, str) and (parts := [p for p in re.split(r"[\W_]+", _fold(full)) if p]):
            if len(parts) > 1:
                alternatives.add(r"[\W_]+".join(map(re.escape, parts)))
            alternatives.update(re.escape(p) for p in parts if len(p) > 1 and p not in _PARTICLES)
    if not alternatives:
        return []
    pattern = r"(?<!\w)(?:" + "|".join(sorted(alternatives, key=len, reverse=True)) + r")(?!\w)"
    return [m.span() for m in re.finditer(pattern, _fold(text))]


def test_record_names_are_found_as_one_pattern_of_them_would() -> None:
    import random

    from pseudonymisation.redaction import _name_results

    rng = random.Random(7)
    words = ["jean", "Jean", "PIERRE", "de", "la", "Fontaine", "Hélène", "helene", "a", "ali", "Alice", "el", "ß"]
    separators = [" ", "-", "_", "'", "’", ", ", "", ".", " _"]
    for _ in range(3000):
        names = [
            "".join(rng.choice(words) + rng.choice(separators) for _ in range(rng.randint(1, 3))).strip()
            for _ in range(rng.randint(0, 3))
        ] + ([None] if rng.random() < 0.1 else [])
        text = "".join(rng.choice(words) + rng.choice(separators) for _ in range(rng.randint(0, 12)))
        found = [(r.start, r.end) for r in _name_results(text, names)]
        assert found == _names_by_one_pattern(text, names), (text, names)
