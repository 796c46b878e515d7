"""Free-text redaction of French case notes with presidio, configured (not patched).

One ``Redactor`` holds a French spaCy pipeline and a registry restricted to the recognisers below;
it is expensive to build (~2 s), so build it once and reuse it. Besides what the recognisers find,
``names`` passed with each text (the record's own people) are always redacted, whole word, ignoring
case and accents: the record knows who it is about even when the NER model misses it.

Nothing here reaches the network: the spaCy model is a package dependency, and the e-mail
recogniser's domain check uses tldextract's bundled public-suffix snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

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
)
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import ConflictResolutionStrategy, OperatorConfig

from pseudonymisation import normalise
from pseudonymisation.name_patterns import (
    NOT_NAMES,
    IntroducedNameRecognizer,
    fold,
    grow_person,
    trim_name,
)

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

_SPACY_MODELS = {"fr": "fr_core_news_sm"}
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


# NER types whose spans are checked against the vocabulary, grown or cut back below.
_NER_TYPES = ("PERSON", "LOCATION")
# What a pattern recognises exactly wins over an NER guess on the same characters: a phone the model
# took for a place ("jointe au 06 ...") is a phone.
_EXACT_TYPES = frozenset(
    {"PHONE_NUMBER", "EMAIL_ADDRESS", "FR_NIR", "IBAN_CODE", "CREDIT_CARD", "FR_ADDRESS", "BIRTH_DATE"}
)


def _refine(text: str, results: list[RecognizerResult]) -> list[RecognizerResult]:
    """Settle what the recognisers found before anonymising.

    A person or place span loses the words that cannot be part of a name: the small French model
    tags "Rendez-vous" or "Réunion de synthèse" at a sentence start, or "Appel de M. David" whole,
    and "Mme"/"M." stay before the name. A person span then grows over the name words beside it
    ("Aïcha <PERSONNE>" becomes one name). Last, person and place spans give way to exact
    identifiers (phone, e-mail, NIR, IBAN, card, address, birth date) on the characters they share.
    """
    exact = [r for r in results if r.entity_type in _EXACT_TYPES]
    kept = [r for r in results if r.entity_type not in _NER_TYPES]
    for r in results:
        if r.entity_type not in _NER_TYPES:
            continue
        span = trim_name(text, r.start, r.end, capitalised=False)
        if span is None or _is_service_vocabulary(text[span[0] : span[1]]):
            continue
        if r.entity_type == "PERSON":
            span = grow_person(text, *span)
        r.start, r.end = span
        kept.extend(_outside(text, r, exact))
    return kept


def _outside(text: str, result: RecognizerResult, exact: list[RecognizerResult]) -> list[RecognizerResult]:
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
        span = trim_name(text, start, end, capitalised=False)
        if span is not None and not _is_service_vocabulary(text[span[0] : span[1]]):
            out.append(
                RecognizerResult(result.entity_type, span[0], span[1], result.score, result.analysis_explanation)
            )
    return out


def _is_service_vocabulary(span: str) -> bool:
    words = [w for w in re.split(r"[\W_]+", _fold(span)) if w]
    return bool(words) and all(w in NOT_NAMES for w in words)


# --- record-aware names ------------------------------------------------------------------------

# Articles and prepositions inside compound names ("de la Fontaine"): matching them alone would
# blank ordinary French words. The full name still matches as a phrase.
_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les", "d", "l", "et", "en", "au", "aux", "a", "y"})


_fold = fold


def _name_pattern(names: Iterable[str]) -> re.Pattern[str] | None:
    alternatives: set[str] = set()
    for full in names:
        if not isinstance(full, str):
            continue
        parts = [p for p in re.split(r"[\W_]+", _fold(full)) if p]
        if not parts:
            continue
        if len(parts) > 1:
            alternatives.add(r"[\W_]+".join(map(re.escape, parts)))
        # A lone particle or initial ("Le", "A") would blank every article or verb of the note.
        alternatives.update(re.escape(p) for p in parts if len(p) > 1 and p not in _PARTICLES)
    if not alternatives:
        return None
    ordered = sorted(alternatives, key=len, reverse=True)  # longest first: whole names win
    return re.compile(r"(?<!\w)(?:" + "|".join(ordered) + r")(?!\w)")


def _name_results(text: str, names: Sequence[str]) -> list[RecognizerResult]:
    pattern = _name_pattern(names)
    if pattern is None:
        return []
    return [RecognizerResult("PERSON", m.start(), m.end(), 1.0) for m in pattern.finditer(_fold(text))]


# --- the redactor ------------------------------------------------------------------------------


class Redactor:
    """Build once, then ``redact`` a note or ``redact_many`` notes (batched through spaCy)."""

    def __init__(self, language: str = "fr") -> None:
        if language not in _SPACY_MODELS:
            raise ValueError(f"no spaCy model configured for language {language!r}")
        self.language = language
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": language, "model_name": _SPACY_MODELS[language]}],
                "ner_model_configuration": {
                    "model_to_presidio_entity_mapping": {"PER": "PERSON", "LOC": "LOCATION"},
                    "labels_to_ignore": ["ORG", "MISC"],
                },
            }
        )
        registry = RecognizerRegistry(recognizers=_recognisers(language), supported_languages=[language])
        self.analyzer = AnalyzerEngine(
            nlp_engine=provider.create_engine(), supported_languages=[language], registry=registry
        )
        self.batch_analyzer = BatchAnalyzerEngine(analyzer_engine=self.analyzer)
        self.anonymizer = AnonymizerEngine()
        self.operators = {
            entity: OperatorConfig("replace", {"new_value": placeholder})
            for entity, placeholder in PLACEHOLDERS.items()
        }
        self.operators["DEFAULT"] = OperatorConfig("replace", {"new_value": "<DONNEE>"})

    def __repr__(self) -> str:
        return f"Redactor(language={self.language!r})"

    def redact(self, text: str | None, names: Sequence[str] = ()) -> str | None:
        """Redact one note; ``names`` are the record's own people (given and family names)."""
        return self.redact_many([text], [names])[0]

    def redact_many(
        self,
        texts: Sequence[str | None],
        names: Sequence[Sequence[str]] | None = None,
        batch_size: int = 64,
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
        batch_size: int = 64,
    ) -> list[list[RecognizerResult] | None]:
        """The settled spans ``redact_many`` replaces, per text (None for an empty or missing text).

        Exposed so that quality can be measured on character spans, not on the redacted string.
        """
        if names is not None and len(names) != len(texts):
            raise ValueError(f"names has {len(names)} entries for {len(texts)} texts")
        out: list[list[RecognizerResult] | None] = [None] * len(texts)
        todo = [i for i, text in enumerate(texts) if isinstance(text, str) and text.strip()]
        analysed = self.batch_analyzer.analyze_iterator(
            [texts[i] for i in todo], language=self.language, batch_size=batch_size
        )
        for i, results in zip(todo, analysed, strict=True):
            text = texts[i]
            assert text is not None
            out[i] = _refine(text, results + _name_results(text, names[i] if names is not None else ()))
        return out

    def analyse_one(self, text: str, names: Sequence[str] = ()) -> list[RecognizerResult]:
        """The same spans for one text through a plain ``AnalyzerEngine.analyze`` call (the unbatched baseline)."""
        results = self.analyzer.analyze(text=text, language=self.language)
        return _refine(text, results + _name_results(text, names))

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
