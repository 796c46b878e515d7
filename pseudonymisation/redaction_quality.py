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
    def analyse_many(
        self, texts: Sequence[str | None], names: Sequence[Sequence[str]] | None, *, always_ner: bool = False
    ) -> list: ...

    def analyse_one(self, text: str, names: Sequence[str] = ()) -> list: ...


@dataclass
class Throughput:
    """The batched path against a per-text ``AnalyzerEngine.analyze`` loop, timed in one run.

    ``batched_seconds`` is for the path as it runs (NER only where a capitalised word is left
    unexplained); ``ner_everywhere_seconds`` is the same path with NER forced on every text, the
    bound for notes where every text names someone the patterns cannot see. Seconds are per pass
    over ``texts`` (the batched ones averaged over several passes).
    """

    texts: int
    batched_seconds: float
    ner_everywhere_seconds: float
    per_text_seconds: float
    differing: int  # texts whose settled spans differ between the batched and the per-text path
    batched: Quality | None = None  # with labels: quality of each path on the same texts
    per_text: Quality | None = None

    @property
    def ratio(self) -> float:
        return self.per_text_seconds / self.batched_seconds if self.batched_seconds else float("inf")

    @property
    def ratio_ner_everywhere(self) -> float:
        return self.per_text_seconds / self.ner_everywhere_seconds if self.ner_everywhere_seconds else float("inf")

    @property
    def equal_recall(self) -> bool | None:
        """Whether the batched path recalls at least as much as the per-text one, type by type."""
        if self.batched is None or self.per_text is None:
            return None
        return all(self.batched.recall[kind] >= recall for kind, recall in self.per_text.recall.items())

    def line(self) -> str:
        out = (
            f"redaction: {self.texts} texts, batched {self.texts / self.batched_seconds:.0f}/s "
            f"(NER on every text {self.texts / self.ner_everywhere_seconds:.0f}/s), "
            f"per-text AnalyzerEngine.analyze {self.texts / self.per_text_seconds:.0f}/s: "
            f"x{self.ratio:.1f} (x{self.ratio_ner_everywhere:.1f}), {self.differing} texts with other spans"
        )
        if self.batched is not None and self.per_text is not None:
            out += f", equal recall: {self.equal_recall}"
        return out


def compare_throughput(
    redactor: _Analyser,
    texts: Sequence[str],
    names: Sequence[Sequence[str]],
    labels: Sequence[Sequence[_LabelledSpan]] | None = None,
    passes: int = 3,
) -> Throughput:
    """Time ``analyse_many`` against a per-text ``AnalyzerEngine.analyze`` loop (``analyse_one``) in one run.

    Both run the same recognisers and the same refinement; the batched path skips work that cannot
    change the result (see ``Redactor.analyse_many``) and runs NER without the parser, so its spans
    may differ: ``differing`` counts the texts where they do and, given ``labels``, ``batched`` and
    ``per_text`` score both paths. The batched path runs ``passes`` times over ``texts`` (each pass
    its own call: identical texts are analysed once per call only) and the mean is kept; pass
    distinct texts, or repeats inflate the ratio. Both are warmed up first.
    """
    texts, names = list(texts), list(names)
    redactor.analyse_many(texts[:8], names[:8])
    redactor.analyse_one(texts[0], names[0])
    timings = {}
    for always_ner in (False, True):
        start = time.perf_counter()
        for _ in range(passes):
            batched = redactor.analyse_many(texts, names, always_ner=always_ner)
        timings[always_ner] = (time.perf_counter() - start) / passes
    batched = redactor.analyse_many(texts, names)
    start = time.perf_counter()
    single = [redactor.analyse_one(text, n) for text, n in zip(texts, names, strict=True)]
    per_text_seconds = time.perf_counter() - start

    def spans(results: list | None) -> set[tuple[str, int, int]]:
        return {(r.entity_type, r.start, r.end) for r in results or []}

    differing = sum(spans(a) != spans(b) for a, b in zip(batched, single, strict=True))
    quality = (None, None) if labels is None else (score(texts, labels, batched), score(texts, labels, single))
    return Throughput(len(texts), timings[False], timings[True], per_text_seconds, differing, *quality)
