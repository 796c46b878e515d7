"""How case notes write people's names: titles, relation and role words, name particles (French, English).

The NER model misses many names that a reader spots at once because a word says who follows:
"sa fille Inès Lacroix", "la psychologue Le Roux", "Contact famille : Sandrine Roche", "Mme Ben
Salah". This module holds that grammar as regular expressions and word sets, and one presidio
recogniser, ``IntroducedNameRecognizer``, that reports only the name (never the word before it).
``grow_person`` then stretches a person span over the name words right beside it, so that a
partial NER hit ("Aïcha <PERSONNE>", "<PERSONNE> Le Roux") becomes the whole name.

All matching of words against the sets below is on ``fold``-ed text (lower case, no accents).
Each language's words and patterns are one ``NameGrammar`` (``FRENCH``, ``ENGLISH``, or ``grammar(lang)``);
every function takes one and defaults to French.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult

# --- words -------------------------------------------------------------------------------------

UPPER = "A-ZÀ-ÖØ-ÞŒ"  # capital letters a French name may open on
_UPPER = UPPER
# A capitalised word, hyphenated or elided parts included: "Rose-Marie", "N'Diaye", "DUPONT".
CAP_WORD = rf"[{_UPPER}]\w*(?:[’'\-]\w+)*"
# Lower-case particles between the words of a name: "Christine de La Fontaine", "van der Berg".
PARTICLES = r"de\s+la|de|du|des|le|la|les|da|das|do|dos|di|del|della|van|von|der|den|ter|ten|ben|bin|el|al|y"
_ELISION = r"[dD][’']\s?"
# What may separate two words of one name.
NAME_SEPARATOR = rf"(?:\s+(?:(?i:{PARTICLES})\s+)*|\s+{_ELISION}|\s*-\s*)"
# A name of one to four words; "de Villeneuve" or "d'Almeida" may open it only after a title.
NAME = rf"{CAP_WORD}(?:{NAME_SEPARATOR}{CAP_WORD}){{0,3}}"
LEADING_PARTICLE = rf"(?:(?:de|du|des)\s+|{_ELISION})"

# Civilities and titles: the word stays, the name after it goes.
TITLES = (
    r"(?i:M\.|Mr\.?|MM\.|Mme|Mmes|Mlle|Madame|Monsieur|Mademoiselle|Dr\.?|Docteure?|Pr\.?"
    r"|Professeure?|Ma[iî]tre)|Me"  # "Me" (maître) only capitalised: "me" is a pronoun
)

_KIN = (
    r"fille|fils|m[èe]re|p[èe]re|s(?:oe|œ)ur|fr[èe]re|tante|oncle|cousine?|neveu|ni[èe]ce|enfant"
    r"|compagne|compagnon|conjointe?|concubine?|[ée]pouse|[ée]poux|mari|femme|fianc[ée]e?|partenaire"
    r"|amie?|copain|copine|voisine?|parrain|marraine|filleule?|proche|famille|h[ée]bergeante?"
    r"|n[ée]e|veuve|alias|nom\s+d[’']usage|nom\s+de\s+naissance|nom\s+de\s+jeune\s+fille"
    r"|maman|papa|grand-m[èe]re|grand-p[èe]re|petite?-fille|petit-fils|beau-p[èe]re|belle-m[èe]re"
    r"|beau-fr[èe]re|belle-s(?:oe|œ)ur|beau-fils|belle-fille|demi-fr[èe]re|demi-s(?:oe|œ)ur"
)
_STAFF = (
    r"curat(?:eur|rice)|tut(?:eur|rice)|mandataire|r[ée]f[ée]rente?|infirmi[èe]re?|psychologue|psychiatre"
    r"|[ée]ducat(?:eur|rice)|conseill[eè]re?|travailleu(?:r|se)|assistante?|m[ée]decin|docteure?|avocate?"
    r"|juge|gardienne?|propri[ée]taire|intervenante?|coordinat(?:eur|rice)|m[ée]diat(?:eur|rice)"
    r"|directeur|directrice|secr[ée]taire|kin[ée](?:sith[ée]rapeute)?|pharmacienne?|dentiste"
    r"|aide-soignante?|auxiliaire|agente?|b[ée]n[ée]vole|stagiaire|coll[èe]gue|interpr[èe]te"
    r"|pair-aidante?|animat(?:eur|rice)|chef|cheffe|responsable|contact|interlocut(?:eur|rice)"
)
# Words that may come between the role and the name: "le conseiller emploi", "l'assistante sociale".
_QUALIFIERS = (
    r"emploi|social|sociale|sociaux|traitante?|lib[ée]rale?|sp[ée]cialis[ée]e?|judiciaire|familiale?"
    r"|principale?|p[ée]nitentiaire|d[’']insertion|en\s+insertion|de\s+probation|de\s+vie|de\s+service"
    r"|de\s+secteur|de\s+parcours|de\s+coordination|[àa]\s+domicile|au\s+logement|logement|sant[ée]"
    r"|psychiatrique|addicto(?:logue)?|actuelle?|habituelle?|nouvelle?|nouvel|ancienne?|ex"
)
_ARTICLES = r"l[’']\s?|(?:le|la|les|sa|son|ses|notre|nos|votre|leur|leurs|mon|ma|mes|un|une|du|de\s+la|au|[àa]\s+la)\s+"
_ROLE = rf"(?:(?:ex|demi|beaux?|belles?|grands?|arri[èe]re)-)?(?:{_KIN}|{_STAFF}|parent)s?"

INTRODUCED_NAME = re.compile(
    rf"(?<![\w’'\-])(?:(?:{TITLES})\s+(?P<titled>{LEADING_PARTICLE}?{NAME})"
    rf"|(?i:(?:{_ARTICLES})?{_ROLE}(?:\s+(?:{_QUALIFIERS})){{0,3}})(?:\s*[:,]\s*|\s+)(?P<name>{NAME}))"
)
# More names in a list after the first: "ses voisines, Marie et Léa Côté", "Mme Roche et Karim".
_LIST_ITEM = re.compile(rf"(?P<separator>\s*,\s*|\s+et\s+)(?P<item>{LEADING_PARTICLE}?{NAME})")
# Hospital style, family name in capitals beside the given name: "KOWALSKI Marek", "Jean DUPONT".
_CAPITALS = rf"[{_UPPER}]{{2,}}(?:[’'\-][{_UPPER}]+)*"
_GIVEN = rf"[{_UPPER}][a-zß-öø-ÿœ]+(?:-[{_UPPER}][a-zß-öø-ÿœ]+)?"
CAPITALISED_NAME = re.compile(
    rf"(?<![\w’'\-])(?:{_CAPITALS}(?:\s+{_CAPITALS}){{0,2}}\s+{_GIVEN}|{_GIVEN}(?:\s+{_CAPITALS}){{1,3}})(?![\w’'\-])"
)

# Capitalised words that are not names although they can sit right beside one: service
# vocabulary, sentence openers, days and months, titles and role words.
NOT_NAMES = frozenset(
    """
    rendez vous rdv reunion atelier coordonnees visite entretien logement dossier synthese
    accompagnement appel contact point relance demande bilan permanence orientation suivi sortie
    entree emmenagement demenagement courrier mail sms tel telephone bailleur equipe
    ccas caf cpam spip cmp chrs siao apl rsa aah mdph css pass fsl csapa chu jaf dalo ase pmi udaf
    samu ehpad cada huda sao france travail pole emploi mission locale euro euros
    nouvelle nouveau nouvel adresse numero justificatifs ras joignable injoignable ecrire
    pjj cpip mjpm ime esat savs samsah sessad ssiad had cmpp casa crous epsm chs caarud lhss lam
    act acts ars dds cds cms cmu puma ame ofii ofpra cnda cesu sdf hlm opac oph
    habitat habitation immobiliere office metropole association foyer residence centre hopital clinique
    maison service mairie prefecture tribunal conseil departement region ville commune agence
    """.split()
)
_FUNCTION_WORDS = frozenset(
    """
    le la les l un une des du de d au aux a en dans sur sous par pour avec chez sans selon vers
    apres avant depuis pendant lors entre contre et ou mais puis donc ni car si que qui quoi dont ce
    cet cette ces son sa ses mon ma mes notre nos votre vos leur leurs il elle ils elles on nous vous
    je tu y ne pas plus tres bien tout tous toute toutes rien aucun aucune merci bonjour bonsoir
    hier aujourd demain matin soir midi semaine mois an annee ok oui non
    lundi mardi mercredi jeudi vendredi samedi dimanche
    janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre
    m mr mm mme mmes mlle madame monsieur mademoiselle dr docteur docteure pr professeur
    professeure maitre me
    """.split()
)


class _FoldTable(dict):
    """``str.translate`` table filled on first sight of each character: its folded form, one character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        self[code] = folded = unicodedata.normalize("NFKD", ch)[:1].lower()[:1] or ch
        return folded


_FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Lower-case, accent-free copy of ``text`` with the *same length*, so offsets carry over."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD_TABLE)


_ROLE_WORD = re.compile(rf"(?i:{_ROLE})")


def is_name_word(word: str, grammar: NameGrammar | None = None) -> bool:
    """Whether a capitalised word may be part of a name (it is none of the grammar's words)."""
    g = grammar or FRENCH
    parts = [p for p in re.split(r"[\W_]+", fold(word)) if p]
    if all(p in g.not_names or p in g.function_words for p in parts):  # "Rendez-vous", "M."
        return False
    return g.role_word.fullmatch(word) is None


# Capitalised words that open or fill case-note sentences and are no one's name: with the words
# above and French stop words, a note whose every capitalised word is one of these (or already
# redacted by a pattern or the record's names) has nothing left for the NER model to find.
# (These are the openers and acronyms of the labelled set that the lists above lacked; a word
# missing here only costs an NER pass.)
_PLAIN_WORDS = frozenset(
    """
    courriel carte vitale virement compte rencontre date naissance ouverture joindre mediation
    message note hospitalisation urgences attestation
    nir rib iban cdd cdi cv adil
    """.split()
)
_WORD_PARTS = re.compile(r"[\W_]+")
_ELIDED_ARTICLE = re.compile(r"^(?:[dDlLsS]|[qQ]u)[’']\s?")


# --- English -----------------------------------------------------------------------------------
# The same grammar for English notes of a programme abroad (UK, Ireland, North America): "her sister
# Laura Bennett", "support worker Tom Reid", "Landlord: Mr Khan". Written from how such notes are
# worded, not from the labelled set (tests/pseudonymisation/labelled_notes_en.py), which came first.

TITLES_EN = r"(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Doctor|Rev|Revd|Sir|Dame|Lady|Lord|MR|MRS|MS|MISS|DR)\.?"
_KIN_EN = (
    r"mother|mum|mom|mummy|mommy|father|dad|daddy|parent|sister|brother|sibling|son|daughter|child|kid"
    r"|aunt|auntie|aunty|uncle|cousin|nephew|niece|grandmother|grandfather|grandma|grandpa|granny|grandad"
    r"|granddad|nan|nana|nanna|gran|grandson|granddaughter|grandchild|wife|husband|partner|spouse"
    r"|boyfriend|girlfriend|fianc[ée]e?|friend|neighbou?r|flatmate|roommate|housemate|lodger|stepmother"
    r"|stepfather|stepson|stepdaughter|stepbrother|stepsister|mother-in-law|father-in-law|sister-in-law"
    r"|brother-in-law|son-in-law|daughter-in-law|godmother|godfather|godson|goddaughter|carer|caregiver"
    r"|guardian|next\s+of\s+kin|relative|family|n[ée]e|aka|a\.k\.a\.|alias|known\s+as|maiden\s+name|named"
)
_STAFF_EN = (
    r"worker|keyworker|caseworker|officer|manager|coordinator|co-ordinator|navigator|nurse|doctor|gp"
    r"|psychiatrist|psychologist|therapist|counsell?or|advocate|solicitor|lawyer|attorney|barrister|judge"
    r"|magistrate|consultant|paramedic|pharmacist|dentist|midwife|visitor|teacher|mentor|volunteer"
    r"|supporter|landlord|landlady|agent|colleague|interpreter|translator|receptionist|contact|referrer"
    r"|supervisor|director|warden|caretaker|concierge|janitor|superintendent|employer|boss|advis[eo]r"
    r"|clinician|physio|physiotherapist|cpn|chaplain|pastor|priest|imam|rabbi|sponsor|trustee|deputy"
)
# Words that may come between the article and the role: "her new support worker", "the mental health nurse".
_QUALIFIERS_EN = (
    r"new|former|previous|current|usual|allocated|assigned|named|old|older|younger|little|big|elder|eldest"
    r"|late|twin|estranged|emergency|mental\s+health|community|psychiatric|district|practice|specialist"
    r"|senior|lead|duty|support|key|case|housing|tenancy|probation|police|parole|liaison|welfare|benefits?"
    r"|debt|money|employment|drug|alcohol|substance|recovery|outreach|peer|family|private|social|health"
    r"|letting|property|estate|best|close|legal|team|link|resettlement|hospital|ward|school"
)
_ARTICLES_EN = r"(?:the|a|an|her|his|their|my|our|your|its|this|that)\s+"
_ROLE_EN = rf"(?:(?:ex|step|half|great|grand)-)?(?:{_KIN_EN}|{_STAFF_EN})s?"
INTRODUCED_NAME_EN = re.compile(
    rf"(?<![\w’'\-])(?:(?:{TITLES_EN})\s+(?P<titled>{NAME})"
    rf"|(?i:(?:{_ARTICLES_EN})?(?:(?:{_QUALIFIERS_EN})\s+){{0,3}}{_ROLE_EN})(?:\s*[:,]\s*|\s+)(?P<name>{NAME}))"
)
_LIST_ITEM_EN = re.compile(rf"(?P<separator>\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*)(?P<item>{NAME})")
# Service vocabulary that opens or sits beside a name in such notes: benefits, services, places of care.
NOT_NAMES_EN = frozenset(
    """
    visit home appointment appt meeting review assessment referral session call phone phoned text texted
    email emailed letter contact note notes update plan support team service services client tenant
    tenancy housing landlord landlady property flat apartment rent arrears deposit council benefit
    benefits universal credit uc pip esa jsa dla dwp hmrc nhs gp ae hospital clinic surgery ward pharmacy
    police probation court magistrates crown prison shelter hostel outreach drop centre center foodbank
    food bank jobcentre job citizens advice cab medicaid medicare snap ssi ssdi hud wic section odsp works
    cmht cpn idva marac mash safeguarding social mental health substance misuse recovery first association
    trust charity agency office department authority city county borough state emergency room er icu
    a e street road avenue lane drive close court way house block unit room
    id ok asap tbc tbd na n dob ssn iban sin nino ni postcode zip code ref reference number account sort
    mobile landline tel telephone address
    """.split()
)
_FUNCTION_WORDS_EN = frozenset(
    """
    the a an and or but nor so yet of to in on at by for from with without into onto about after before
    since until during between against over under via per he she they it we i you him her them us me his
    hers their theirs its our your my this that these those who whom whose which what when where why how
    not no yes hi hello thanks thank today yesterday tomorrow morning afternoon evening night week month
    year monday tuesday wednesday thursday friday saturday sunday
    january february march july september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec
    mr mrs ms miss mx dr prof professor doctor rev revd sir dame lady lord
    """.split()
)
_ROLE_WORD_EN = re.compile(rf"(?i:{_ROLE_EN})")


@dataclass(frozen=True)
class NameGrammar:
    """One language's words and patterns for finding and trimming names."""

    language: str
    not_names: frozenset[str]  # service vocabulary: never part of a name
    function_words: frozenset[str]  # articles, pronouns, titles, days...: never part of a name
    plain_words: frozenset[str]  # other words that only spare an NER pass (``cannot_be_name``)
    role_word: re.Pattern[str]  # a relation or role word alone ("Fille", "Nurse")
    introduced_name: re.Pattern[str]  # a name after a title or a role word
    list_item: re.Pattern[str]  # one more name in a list after the first
    list_closer: str  # the conjunction that closes a list of names

    @property
    def unlikely_name_parts(self) -> frozenset[str]:
        return self.not_names | self.function_words | self.plain_words


FRENCH = NameGrammar("fr", NOT_NAMES, _FUNCTION_WORDS, _PLAIN_WORDS, _ROLE_WORD, INTRODUCED_NAME, _LIST_ITEM, "et")
ENGLISH = NameGrammar(
    "en", NOT_NAMES_EN, _FUNCTION_WORDS_EN, frozenset(), _ROLE_WORD_EN, INTRODUCED_NAME_EN, _LIST_ITEM_EN, "and"
)
_GRAMMARS = {"fr": FRENCH, "en": ENGLISH}
_UNLIKELY = {g.language: g.unlikely_name_parts for g in _GRAMMARS.values()}


def grammar(language: str) -> NameGrammar:
    """The name grammar of ``language`` ("fr" or "en")."""
    try:
        return _GRAMMARS[language]
    except KeyError:
        raise ValueError(f"no name grammar for language {language!r}") from None


def cannot_be_name(word: str, stop_words: frozenset[str] = frozenset(), grammar: NameGrammar | None = None) -> bool:
    """Whether a capitalised ``word`` is vocabulary no NER model should take for a person or place.

    Conservative: only words listed here, a role word ("Fille", "L'infirmière") or one of the
    ``stop_words`` of the language (folded) pass; anything else may be a name.
    """
    g = grammar or FRENCH
    unlikely = _UNLIKELY[g.language]
    parts = [p for p in _WORD_PARTS.split(fold(word)) if p]
    if all(p in unlikely or p in stop_words for p in parts):
        return True
    return g.role_word.fullmatch(_ELIDED_ARTICLE.sub("", word)) is not None


_WORD = re.compile(r"\w+(?:[’'\-]\w+)*")
_PARTICLE_WORD = re.compile(rf"(?i:{PARTICLES}|d)")
_ELIDED = re.compile(r"^[dD][’']\s?")


def _capitalised_name_word(word: str, grammar: NameGrammar | None = None) -> bool:
    core = _ELIDED.sub("", word)  # "d'Almeida" is judged on "Almeida"
    return core[:1].isupper() and is_name_word(core, grammar)


def trim_name(
    text: str, start: int, end: int, capitalised: bool = True, grammar: NameGrammar | None = None
) -> tuple[int, int] | None:
    """Narrow ``text[start:end]`` to its name: leading non-name words off, cut at the next one.

    With ``capitalised`` the name must open on a capital ("sa fille Inès"); without, only known
    non-name words are taken off the front (an NER span "Appel de M. David", a lower-case "helene").
    """
    words = list(_WORD.finditer(text, start, end))
    if capitalised:
        while words and not _capitalised_name_word(words[0].group(), grammar):
            words.pop(0)
    else:
        while words and not is_name_word(_ELIDED.sub("", words[0].group()), grammar):
            words.pop(0)
    kept = []
    for i, m in enumerate(words):
        if m.group()[0].isupper() and not is_name_word(m.group(), grammar):
            following = words[i + 1].group() if i + 1 < len(words) else ""
            if not (
                _PARTICLE_WORD.fullmatch(m.group()) and following[:1].isupper() and is_name_word(following, grammar)
            ):
                break  # but "Anne Le Roux" keeps its "Le"
        kept.append(m)
    while kept and _PARTICLE_WORD.fullmatch(kept[-1].group()):
        kept.pop()
    if not kept:
        return None
    return kept[0].start(), kept[-1].end()


class IntroducedNameRecognizer(LocalRecognizer):
    """A name after a title or after a relation or role word; the introducing words stay."""

    def __init__(self, supported_language: str = "fr", score: float = 0.9) -> None:
        self.score = score
        self.grammar = grammar(supported_language)
        super().__init__(
            supported_entities=["PERSON"],
            name=f"{supported_language.capitalize()}IntroducedPersonRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts=None) -> list[RecognizerResult]:
        if "PERSON" not in entities:
            return []
        spans: list[tuple[tuple[int, int], str]] = []
        g = self.grammar
        for match in g.introduced_name.finditer(text):
            group = "titled" if match.group("titled") is not None else "name"
            span = trim_name(text, *match.span(group), grammar=g)
            if span is None:
                continue
            spans.append((span, f"name after {'a title' if group == 'titled' else 'a role word'}"))
            if span[1] == match.end(group):
                spans.extend((item, "name listed after another") for item in _listed_names(text, match.end(group), g))
        for match in CAPITALISED_NAME.finditer(text):
            words = match.group().split()
            long_capitals = [w for w in words if w.isupper() and len(w) > 3]
            if long_capitals and all(is_name_word(w, g) or _PARTICLE_WORD.fullmatch(w) for w in words):
                spans.append((match.span(), "family name in capitals beside a given name"))
        return [self._result(start, end, why) for (start, end), why in spans]

    def _result(self, start: int, end: int, why: str) -> RecognizerResult:
        return RecognizerResult(
            "PERSON",
            start,
            end,
            self.score,
            analysis_explanation=AnalysisExplanation(
                recognizer=self.name, original_score=self.score, textual_explanation=why
            ),
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


_PARTICLE_ONLY = re.compile(rf"{LEADING_PARTICLE}?")


def _listed_names(text: str, position: int, grammar: NameGrammar | None = None) -> list[tuple[int, int]]:
    """Names listed after the one ending at ``position``, kept only if the list closes with "et" ("and")."""
    g = grammar or FRENCH
    items, closed = [], 0
    while (match := g.list_item.match(text, position)) is not None:
        span = trim_name(text, *match.span("item"), grammar=g)
        if span is None or not _PARTICLE_ONLY.fullmatch(text, match.start("item"), span[0]):
            break  # "Inès et CAF ...": not a list of names
        items.append(span)
        separator = match.group("separator")
        if g.list_closer in separator.split() or "&" in separator:
            closed = len(items)
        if span[1] != match.end("item"):
            break
        position = match.end("item")
    return items[:closed]


# --- growing a person span ---------------------------------------------------------------------

_NEXT_NAME_WORD = re.compile(rf"{NAME_SEPARATOR}(?P<word>{CAP_WORD})")
_PREVIOUS_NAME_WORD = re.compile(rf"(?P<word>{CAP_WORD})(?:\s+|\s*-\s*)$")
_LOOK_BACK = 80


def grow_person(text: str, start: int, end: int, grammar: NameGrammar | None = None) -> tuple[int, int]:
    """Stretch a person span over whole words, then over the name words right beside it."""
    while start > 0 and (
        text[start - 1].isalnum() or (text[start - 1] == "-" and text[start - 2 : start - 1].isalnum())
    ):
        start -= 1
    while end < len(text) and (text[end].isalnum() or (text[end] == "-" and text[end + 1 : end + 2].isalnum())):
        end += 1
    for _ in range(3):
        m = _NEXT_NAME_WORD.match(text, end)
        if not m or not is_name_word(m.group("word"), grammar):
            break
        end = m.end()
    for _ in range(3):
        m = _PREVIOUS_NAME_WORD.search(text, max(0, start - _LOOK_BACK), start)
        if not m or m.end() != start or not is_name_word(m.group("word"), grammar):
            break
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "’'-"):
            break  # the capital is inside a word ("l'Hôpital")
        if _PARTICLE_WORD.fullmatch(m.group("word")):
            # "Mohamed Ben <PERSONNE>": the particle goes with the given name before it; alone
            # ("Le <PERSONNE>" at a sentence start) it is an article and stays.
            before = _PREVIOUS_NAME_WORD.search(text, max(0, m.start() - _LOOK_BACK), m.start())
            if not before or before.end() != m.start() or not is_name_word(before.group("word"), grammar):
                break
            if _PARTICLE_WORD.fullmatch(before.group("word")):
                break
            m = before
        start = m.start()
    return start, end
