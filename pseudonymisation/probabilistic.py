"""Typo-tolerant privacy-preserving linkage: keyed encodings scored Fellegi–Sunter style.

Exact link keys (``link_keys``) miss the same person when a name carries a typo, loses an accent the
normaliser cannot restore, or a date has a digit wrong. This joins such records on keyed encodings only:
Bloom filters of the names (``bloom``), keyed hashes of name tokens and of birth-date parts, sex and
postcode. Nothing here can be turned back into a name or a date without the key.

Scoring: each field's agreement level adds a log2(m/u) weight (m: how often true matches agree at that
level, u: how often non-matches do, within a block); a pair whose total reaches ``THRESHOLD`` is a match.
The weights are set from the generator's noise profile and checked against its ground truth (see
``tests/pseudonymisation/linkage_quality.py``, held by a test and reported by `make bench`).

Blocking: a pair is compared only when it shares a keyed birth year, or a keyed {day, month} pair (so a
wrong year still meets its match), which keeps comparisons near-linear.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from sys import intern

from pseudonymisation import bloom, normalise
from pseudonymisation.link_keys import Identity, keyed_hash
from pseudonymisation.linkage import _UnionFind

THRESHOLD = 14.0


@dataclass(frozen=True)
class Encoding:
    """The keyed, comparable form of one identity; all strings are truncated keyed digests."""

    given: int
    family: int
    given_tokens: frozenset[str]
    family_tokens: frozenset[str]
    dob: str
    dob_swapped: str | None  # the date with day and month swapped, when that is a date
    dob_parts: tuple[str, str, str]  # (year, month), (year, day), (month, day)
    year_masks: frozenset[str] = frozenset()  # the year with each digit masked in turn: a one-digit typo shares one
    sex: str | None = None
    postcode: str | None = None
    nir: str | None = None
    blocks: tuple[str, ...] = field(default=(), compare=False)


def _h(key: bytes, domain: str, value: str) -> str:
    return _shared_hash(key, tuple(getattr(key, "rotations", ())), domain, value)


@lru_cache(maxsize=1 << 16)
def _shared_hash(key: bytes, rotations: tuple[bytes, ...], domain: str, value: str) -> str:
    """One str object per keyed value: most of an encoding's digests (sex, birth-date parts, year masks,
    blocks) recur from person to person, and sharing them halves what a batch's encodings hold in memory.
    ``rotations`` keys the cache too: a key compares equal to its rotated self."""
    return keyed_hash(key, "prob:" + domain, value)  # whole: a rotation wraps the stored digest as it is


def encode_identity(
    key: bytes, identity: Identity, postcode: str | None = None, today: date | None = None
) -> Encoding | None:
    """The encoding of one identity, or None without both names and a usable birth date (not after ``today``,
    ``normalise.birth_date``)."""
    given = normalise.name(identity.given_name)
    family = normalise.name(identity.family_name)
    dob = normalise.birth_date(identity.birth_date, today)
    if not (given and family and dob):
        return None
    year, month, day = dob.split("-")
    sex = _sex(identity.sex)
    code = postcode.strip() if isinstance(postcode, str) and postcode.strip() else None
    rotations = tuple(getattr(key, "rotations", ()))
    given_filter, given_tokens = _name(key, rotations, given)
    family_filter, family_tokens = _name(key, rotations, family)
    return Encoding(
        given=given_filter,
        family=family_filter,
        given_tokens=given_tokens,
        family_tokens=family_tokens,
        dob=_h(key, "dob", dob),
        dob_swapped=_h(key, "dob", f"{year}-{day}-{month}") if int(day) <= 12 else None,
        dob_parts=(_h(key, "ym", year + month), _h(key, "yd", year + day), _h(key, "md", month + day)),
        year_masks=frozenset(_h(key, "year-mask", year[:i] + "_" + year[i + 1 :]) for i in range(4)),
        sex=_h(key, "sex", sex) if sex else None,
        postcode=_h(key, "postcode", code) if code else None,
        nir=_h(key, "nir", nir) if (nir := normalise.nir(identity.nir)) else None,
        blocks=_blocks(key, year, "|".join(sorted((day, month))), "|".join(sorted((given[0], family[0])))),
    )


@lru_cache(maxsize=1 << 16)
def _name(key: bytes, rotations: tuple[bytes, ...], name: str) -> tuple[int, frozenset[str]]:
    """A name's Bloom filter and keyed tokens, once per process: names recur from person to person, and the filter
    is most of an encoding's cost. ``rotations`` keys the cache too: a key compares equal to its rotated self.
    Given and family names share one field key: partners swap them, and only filters made under the same key can
    be compared across the two. Other fields are keyed hashes under their own domains."""
    return bloom.encode(bloom.field_key(key, "name"), name), frozenset(_h(key, "token", t) for t in name.split())


def _blocks(key: bytes, year: str, day_month: str, initials: str) -> tuple[str, str, str]:
    """Who is compared with whom: records that share a block. Each block tolerates one kind of error: the birth
    date (any names: a usage name, a typo anywhere), the year with both initials (a wrong day or month), day
    and month with both initials (a wrong year). Day and month, and the two initials, are unordered: partners
    swap them. A year alone put ~2,000 people of 100,000 in one block, every pair of them compared."""
    return (
        _h(key, "block:date", f"{year}|{day_month}"),
        _h(key, "block:year-initials", f"{year}|{initials}"),
        _h(key, "block:daymonth-initials", f"{day_month}|{initials}"),
    )


def _sex(value: str | None) -> str | None:
    folded = normalise.name(value) if isinstance(value, str) else None
    if not folded:
        return None
    return {"M": "M", "H": "M", "1": "M", "HOMME": "M", "MASCULIN": "M", "MALE": "M",
            "F": "F", "2": "F", "FEMME": "F", "FEMININ": "F", "FEMALE": "F"}.get(folded)  # fmt: skip


# --- scoring -----------------------------------------------------------------------------------


def _name_weight(dice: float, shares_token: bool, exact: float, near: float, miss: float) -> float:
    """The weight of one name comparison by the Dice of its filters. A pair's Dice moves a little with the key
    (the folded filters' chance overlaps: sd ~0.02 at 0.5-0.6), so no step may sit where a common typo lands, or
    the key decides the join: two letters swapped in a six-letter name keep ~0.60, which a step at 0.6 split key
    by key. Ramps between the same weights did not help: such pairs sit on the ramp and flip as often."""
    if dice >= 0.92:
        return exact
    if dice >= 0.75:
        return near
    if shares_token or dice >= 0.5:
        return 1.0  # two letters swapped in a longer name ("DUMOTN"), a compound name cut short, a usage name added
    if dice >= 0.45:
        return 0.0  # two letters swapped in a four-letter name ("LOCI", ~0.45): no evidence either way
    return miss


def match_weight(a: Encoding, b: Encoding) -> float:
    """The Fellegi–Sunter total of a pair: the sum of per-field log2(m/u) weights."""
    straight = _name_weight(
        bloom.dice(a.given, b.given), bool(a.given_tokens & b.given_tokens), 5.0, 3.0, -4.0
    ) + _name_weight(bloom.dice(a.family, b.family), bool(a.family_tokens & b.family_tokens), 7.0, 4.5, -5.0)
    # Given and family names swapped (frequent in hospital and court extracts), in either record: a's given name
    # against b's family name is a given name if b swapped them, a family name if a did. Both readings are
    # scored and the better kept, so that the weight of a pair does not depend on which record comes first
    # (the later batch's, in linkage at ingestion: the order partners' files arrive in must not decide a join).
    given_family = bloom.dice(a.given, b.family), bool(a.given_tokens & b.family_tokens)
    family_given = bloom.dice(a.family, b.given), bool(a.family_tokens & b.given_tokens)
    crossed = max(
        _name_weight(*given_family, 5.0, 3.0, -4.0) + _name_weight(*family_given, 7.0, 4.5, -5.0),
        _name_weight(*given_family, 7.0, 4.5, -5.0) + _name_weight(*family_given, 5.0, 3.0, -4.0),
    )
    total = max(straight, crossed)

    if a.dob == b.dob:
        total += 8.5  # ~1/365 non-matches within a birth-year block agree
    elif a.dob_swapped is not None and a.dob_swapped == b.dob:
        total += 6.0
    elif a.dob_parts[2] == b.dob_parts[2] and a.year_masks & b.year_masks:
        total += 2.5  # same day and month, one digit of the year mistyped
    elif a.dob_parts[0] == b.dob_parts[0] or a.dob_parts[1] == b.dob_parts[1]:
        total += 1.5  # the day or the month mistyped
    else:
        total -= 8.0

    if a.nir and b.nir:
        total += 10.0 if a.nir == b.nir else -12.0  # both valid (their keys check): different NIRs, different people
    if a.sex and b.sex:
        total += 0.8 if a.sex == b.sex else -3.0
    if a.postcode and b.postcode:
        total += 3.0 if a.postcode == b.postcode else -0.5  # people move: weak disagreement
    return total


# --- linkage -----------------------------------------------------------------------------------


@dataclass
class ProbabilisticResult:
    person_keys: list[str]  # one per input record, after the joins
    merges: list[tuple[str, str]] = field(default_factory=list)  # (absorbed, kept), like LinkResult.merges
    new_encodings: list[tuple[str, Encoding]] = field(default_factory=list)  # (person_key, encoding) to store


def link_probabilistic(
    encodings: Sequence[Encoding | None],
    person_keys: Sequence[str],
    store_encodings: Iterable[tuple[str, Encoding]] = (),
    threshold: float = THRESHOLD,
    existing_persons: Iterable[str] = (),
) -> ProbabilisticResult:
    """Join persons that exact linkage left apart when their encodings score at least ``threshold``.

    ``encodings[i]`` and ``person_keys[i]`` are record i's (after ``link``); ``store_encodings`` are the
    (person key, encoding) pairs already stored that share a block with a record the store does not hold as it is
    (with its person), and those it does. A joined cluster keeps a
    stored person key when it has one (the smallest; ``existing_persons`` adds the person keys the exact
    store already knows), else the smallest batch key, so person keys stay stable across refreshes; every
    other key in it is reported in ``merges``.
    """
    stored = {(p, e) for p, e in store_encodings}
    stored_persons = {p for p, _ in stored} | set(existing_persons)
    batch = {(p, e) for p, e in zip(person_keys, encodings, strict=True) if e is not None} - stored
    entries = [*batch, *stored]  # the batch's first: two stored encodings are not compared again

    uf = _UnionFind()
    for i, j in _block_pairs([e for _, e in entries], len(batch)):
        pi, ei = entries[i]
        pj, ej = entries[j]
        if pi != pj and uf.find(pi) != uf.find(pj) and match_weight(ei, ej) >= threshold:
            uf.union(pi, pj)

    clusters: dict[object, list[str]] = {}
    for person in {p for p, _ in entries}:
        clusters.setdefault(uf.find(person), []).append(person)
    kept_of: dict[str, str] = {}
    merges: list[tuple[str, str]] = []
    for persons in clusters.values():
        if len(persons) < 2:
            continue
        kept = min(persons, key=lambda p: (p not in stored_persons, p))
        for p in sorted(persons):
            if p != kept:
                kept_of[p] = kept
                merges.append((p, kept))
    remapped = [kept_of.get(p, p) for p in person_keys]
    new = sorted({(kept_of.get(p, p), e) for p, e in batch}, key=lambda pe: (pe[0], pe[1].dob))
    return ProbabilisticResult(person_keys=remapped, merges=merges, new_encodings=new)


def _block_pairs(encodings: Sequence[Encoding], leading: int | None = None) -> Iterator[tuple[int, int]]:
    """Each pair of positions whose encodings share a block, once: in the first block they share (every
    encoding lists its blocks by kind, in one order), so no set of the pairs seen is kept. With ``leading``, only
    the pairs holding one of the first ``leading`` positions (the batch's, not two stored encodings)."""
    by_block: dict[str, tuple[int, list[int]]] = {}
    for n, enc in enumerate(encodings):
        for kind, block in enumerate(enc.blocks):
            by_block.setdefault(block, (kind, []))[1].append(n)
    for kind, members in by_block.values():
        for x, i in enumerate(members):
            if leading is not None and i >= leading:
                break  # members ascend: the rest are stored encodings too
            earlier = encodings[i].blocks[:kind]
            for j in members[x + 1 :]:
                if not any(a == b for a, b in zip(earlier, encodings[j].blocks, strict=False)):
                    yield i, j


def matching_pairs(encodings: Sequence[Encoding | None], threshold: float = THRESHOLD) -> list[tuple[int, int]]:
    """Positions (i, j) of the encodings that score at least ``threshold``: the typo-tolerant joins among a set
    of records, for re-clustering them (``linkage.components``)."""
    present = [n for n, e in enumerate(encodings) if e is not None]
    known = [encodings[n] for n in present]
    return [(present[i], present[j]) for i, j in _block_pairs(known) if match_weight(known[i], known[j]) >= threshold]


# --- serialisation -----------------------------------------------------------------------------


def blocks_of(encodings: Iterable[Encoding | None]) -> list[str]:
    return sorted({b for e in encodings if e is not None for b in e.blocks})


def dumps(enc: Encoding) -> str:
    """A JSON text of keyed values only, for storing an encoding (its blocks under ``"b"``)."""
    return json.dumps(
        {
            "g": bloom.to_hex(enc.given),
            "f": bloom.to_hex(enc.family),
            "gt": sorted(enc.given_tokens),
            "ft": sorted(enc.family_tokens),
            "d": enc.dob,
            "ds": enc.dob_swapped,
            "dp": list(enc.dob_parts),
            "ym": sorted(enc.year_masks),
            "s": enc.sex,
            "p": enc.postcode,
            "n": enc.nir,
            "b": list(enc.blocks),
        },
        separators=(",", ":"),
    )


def loads(text: str | Mapping) -> Encoding:
    """An encoding as ``dumps`` stored it. Its digests are interned, as ``_shared_hash`` shares those it makes:
    a batch may decode the stored encodings of most persons (a new partner's first extract), and their birth-date
    parts, year masks, name tokens and blocks recur from person to person (2.9 KB a decoded encoding, then 1.5)."""
    d = json.loads(text) if isinstance(text, str) else text
    return Encoding(
        given=bloom.from_hex(d["g"]),
        family=bloom.from_hex(d["f"]),
        given_tokens=frozenset(map(intern, d["gt"])),
        family_tokens=frozenset(map(intern, d["ft"])),
        dob=intern(d["d"]),
        dob_swapped=d["ds"] and intern(d["ds"]),
        dob_parts=tuple(map(intern, d["dp"])),  # type: ignore[arg-type]
        year_masks=frozenset(map(intern, d["ym"])),
        sex=d["s"],
        postcode=d["p"] and intern(d["p"]),
        nir=d.get("n"),
        blocks=tuple(map(intern, d["b"])),
    )
