"""Pairwise linkage quality against the sample generator's ground truth (callable from `make bench`).

``evaluate`` reads every person-level landing file through its contract and links the records with the library
as ingestion does (exact keys, then optionally the probabilistic pass); ``evaluate_ingested`` takes the person
keys ingestion itself stored in the raw tables. Both count record pairs: true pairs share a person in
ground_truth/links.csv, predicted pairs share a person key. Figures are given for pairs of two records
that both carry a valid NIR, and for pairs where at least one does not.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import psycopg

from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext, find_extracts, ingest_file
from pipelines.pipeline import ensure_raw_tables
from pipelines.readers import read_rows
from pseudonymisation import normalise
from pseudonymisation.link_keys import Identity, link_keys, record_key
from pseudonymisation.linkage import link
from pseudonymisation.probabilistic import Encoding, encode_identity, link_probabilistic


@dataclass
class PairQuality:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def line(self, label: str) -> str:
        return f"{label}: precision {self.precision:.4f} recall {self.recall:.4f} ({self.true_pairs} true pairs)"


def _pairs(counts: Counter) -> int:
    return sum(n * (n - 1) // 2 for n in counts.values())


def _quality(truth: list[str], predicted: list[str]) -> PairQuality:
    return PairQuality(
        _pairs(Counter(truth)), _pairs(Counter(predicted)), _pairs(Counter(zip(truth, predicted, strict=True)))
    )


@dataclass(frozen=True)
class Record:
    source: str
    record_id: str
    identity: Identity
    refs: tuple[tuple[str, str], ...]  # (namespace, id) pairs ingestion turns into record keys

    @property
    def identified(self) -> bool:
        return any(getattr(self.identity, f) for f in Identity.__dataclass_fields__)


def read_records(root: Path) -> list[Record]:
    """Every readable row of the person-level landing files, with the record references ingestion links on."""
    contracts = load_contracts()
    referenced = {c.ref_source for k in contracts.values() for c in k.columns if c.role == "person_ref"}
    out = []
    for contract in contracts.values():
        if not contract.is_person_level:
            continue
        roles = {c.role: c.name for c in contract.columns if c.role in Identity.__dataclass_fields__}
        ref_columns = [c for c in contract.columns if c.role == "person_ref"]
        for path in sorted((root / "landing").glob(contract.file_pattern)):
            for _, row in read_rows(path, contract):
                if not isinstance(row, dict):
                    continue
                record_id = str(row[contract.record_id.name])
                refs = [(c.ref_source, str(row[c.name])) for c in ref_columns if row.get(c.name) is not None]
                if contract.name in referenced:
                    refs.append((contract.name, record_id))
                identity = Identity(**{role: row.get(name) for role, name in roles.items()})
                out.append(Record(contract.name, record_id, identity, tuple(refs)))
    return out


def _truth(root: Path) -> dict[tuple[str, str], str]:
    """(source, record id) -> the generator's person id."""
    with (root / "ground_truth" / "links.csv").open(encoding="utf-8", newline="") as handle:
        return {(r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(handle)}


def evaluate(root: Path, key: bytes, probabilistic: bool = True) -> dict[str, PairQuality]:
    """Pairwise quality of linkage on the generated data under ``root``: all, with NIR, without NIR."""
    truth_of = _truth(root)
    records = [r for r in read_records(root) if (r.source, r.record_id) in truth_of]
    cache: dict[Identity, list[str]] = {}
    keys = []
    for r in records:
        if r.identity not in cache:
            cache[r.identity] = link_keys(key, r.identity)
        keys.append(cache[r.identity] + [record_key(key, ns, value) for ns, value in r.refs])
    persons = link(keys, {}).person_keys
    if probabilistic:
        encoded: dict[Identity, Encoding | None] = {}
        for r in records:
            if r.identity not in encoded:
                encoded[r.identity] = encode_identity(key, r.identity)
        persons = link_probabilistic([encoded[r.identity] for r in records], persons).person_keys
    # Quality on the records that carry identifiers: the others follow their referenced record exactly.
    kept = [n for n, r in enumerate(records) if r.identified]
    truth = [truth_of[records[n].source, records[n].record_id] for n in kept]
    has_nir = [normalise.nir(records[n].identity.nir) is not None for n in kept]
    return _by_nir(truth, [persons[n] for n in kept], has_nir)


def _by_nir(truth: list[str], persons: list[str], has_nir: list[bool]) -> dict[str, PairQuality]:
    everything = _quality(truth, persons)
    with_nir = _quality(
        [t for t, n in zip(truth, has_nir, strict=True) if n], [p for p, n in zip(persons, has_nir, strict=True) if n]
    )
    without = PairQuality(
        everything.true_pairs - with_nir.true_pairs,
        everything.predicted_pairs - with_nir.predicted_pairs,
        everything.correct_pairs - with_nir.correct_pairs,
    )
    return {"all": everything, "with NIR": with_nir, "without NIR": without}


class _NoRedaction:
    """Free text plays no part in linkage: this measure leaves it out rather than load the NLP models."""

    def redact_many(self, texts: list, names: list) -> list[None]:
        return [None] * len(texts)


def evaluate_ingested(root: Path, key: bytes, url: str) -> tuple[dict[str, PairQuality], int]:
    """Pairwise quality of the person keys that ingestion (``pipelines.ingest``) stores in the raw tables, every
    person-level landing file loaded in order into the empty warehouse at ``url``; and the rows it set aside
    (quarantined), which take no part in the pairs."""
    truth_of = _truth(root)
    contracts = load_contracts()
    ensure_raw_tables(url, contracts)
    ctx = IngestContext(url, key, root / "quarantine", contracts, _NoRedaction)
    person_level = [c for c in contracts.values() if c.is_person_level]
    quarantined = 0
    for contract in person_level:
        for path in find_extracts(contract, root / "landing"):
            quarantined += ingest_file(ctx, contract, path).rows_quarantined
    # Raw rows carry a keyed record ref, not the record id: the ground truth's ids are keyed the same way.
    records = {(r.source, record_key(key, r.source, r.record_id)): r for r in read_records(root) if r.identified}
    truth, persons, has_nir = [], [], []
    with psycopg.connect(url) as conn:
        for contract in person_level:
            for ref, person in conn.execute(f"select record_ref, person_key from {contract.raw_table}"):
                record = records.get((contract.name, ref))
                if record is None or (record.source, record.record_id) not in truth_of:
                    continue
                truth.append(truth_of[record.source, record.record_id])
                persons.append(person)
                has_nir.append(normalise.nir(record.identity.nir) is not None)
    return _by_nir(truth, persons, has_nir), quarantined
