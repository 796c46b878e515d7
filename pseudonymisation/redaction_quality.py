"""Measuring redaction: recall per labelled type, precision, and batched vs per-text throughput.

Pure functions over character spans, so a labelled set (see tests/pseudonymisation/labelled_notes.py)
can be scored in a test and in `make bench` alike.

- A labelled span is *recalled* when every letter and digit in it lies under some detected span, of any
  type: a name hidden under <LIEU> is still hidden.
- A detected span is *correct* when it overlaps some labelled span; precision is correct / detected.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


class _Span(Protocol):
    start: int
    end: int


class _LabelledSpan(_Span, Protocol):
    type: str


@dataclass
class Quality:
    recall: dict[str, float] = field(default_factory=dict)  # per labelled type
    labelled: dict[str, int] = field(default_factory=dict)  # how many spans of each type
    precision: float = 1.0
    detected: int = 0

    def lines(self) -> list[str]:
        out = [
            f"{kind:<11} recall {self.recall[kind]:.3f} ({self.labelled[kind]} spans)" for kind in sorted(self.recall)
        ]
        out.append(f"precision   {self.precision:.3f} ({self.detected} detected spans)")
        return out


def _covered(text: str, span: _Span, found: Sequence[_Span]) -> bool:
    for i in range(span.start, span.end):
        if text[i].isalnum() and not any(f.start <= i < f.end for f in found):
            return False
    return True


def score(
    texts: Sequence[str], labels: Sequence[Sequence[_LabelledSpan]], found: Sequence[Sequence[_Span] | None]
) -> Quality:
    """Recall per type and overall precision of ``found`` against ``labels``, text by text."""
    hits: dict[str, int] = {}
    totals: dict[str, int] = {}
    detected = correct = 0
    for text, spans, detections in zip(texts, labels, found, strict=True):
        detections = list(detections or [])
        for span in spans:
            totals[span.type] = totals.get(span.type, 0) + 1
            hits[span.type] = hits.get(span.type, 0) + _covered(text, span, detections)
        for d in detections:
            detected += 1
            correct += any(d.start < s.end and s.start < d.end for s in spans)
    return Quality(
        recall={k: hits[k] / totals[k] for k in totals},
        labelled=totals,
        precision=correct / detected if detected else 1.0,
        detected=detected,
    )


class _Analyser(Protocol):
    def analyse_many(self, texts: Sequence[str | None], names: Sequence[Sequence[str]] | None) -> list: ...

    def analyse_one(self, text: str, names: Sequence[str] = ()) -> list: ...


@dataclass
class Throughput:
    texts: int
    batched_seconds: float
    per_text_seconds: float
    same_spans: bool  # both paths found exactly the same spans: "equal recall" by construction

    @property
    def ratio(self) -> float:
        return self.per_text_seconds / self.batched_seconds if self.batched_seconds else float("inf")

    def line(self) -> str:
        return (
            f"redaction: {self.texts} texts, batched {self.texts / self.batched_seconds:.0f}/s, "
            f"per-text AnalyzerEngine.analyze {self.texts / self.per_text_seconds:.0f}/s, "
            f"x{self.ratio:.1f}, same spans: {self.same_spans}"
        )


def compare_throughput(redactor: _Analyser, texts: Sequence[str], names: Sequence[Sequence[str]]) -> Throughput:
    """Time ``analyse_many`` (spaCy batched) against a per-text ``AnalyzerEngine.analyze`` loop, same spans.

    Both run the same recognisers and the same refinement, so recall is equal when ``same_spans`` holds.
    Warm both up first (spaCy's first call pays for lazy loading).
    """
    redactor.analyse_many(list(texts[:8]), list(names[:8]))
    start = time.perf_counter()
    batched = redactor.analyse_many(list(texts), list(names))
    batched_seconds = time.perf_counter() - start
    start = time.perf_counter()
    single = [redactor.analyse_one(text, n) for text, n in zip(texts, names, strict=True)]
    per_text_seconds = time.perf_counter() - start

    def spans(results: list | None) -> set[tuple[str, int, int]]:
        return {(r.entity_type, r.start, r.end) for r in results or []}

    same = all(spans(a) == spans(b) for a, b in zip(batched, single, strict=True))
    return Throughput(len(texts), batched_seconds, per_text_seconds, same)
