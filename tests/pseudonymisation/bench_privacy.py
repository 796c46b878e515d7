"""`make bench` sections for linkage quality and redaction (issue #4 §4, §5), for tests/bench.py to call.

Each function returns rows (what, rows, seconds, note) that map one to one onto tests.bench.Result:

    from tests.pseudonymisation.bench_privacy import ingested_linkage_rows, linkage_rows, redaction_rows

    def privacy(bench: Bench) -> list[Result]:
        key = load_key(bench.data_dir / "abord.key")
        url = create_database(bench.admin_url)
        rows = linkage_rows(bench.data_dir, key) + ingested_linkage_rows(bench.data_dir, key, url) + redaction_rows()
        return [Result("privacy", *row) for row in rows]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # its siblings import each other as pytest sees them

from labelled_notes import LABELLED  # noqa: E402
from linkage_quality import evaluate, evaluate_ingested  # noqa: E402

from pseudonymisation.redaction import Redactor  # noqa: E402
from pseudonymisation.redaction_quality import compare_throughput, score  # noqa: E402

Row = tuple[str, int, float, str]


def linkage_rows(data_dir: Path, key: bytes) -> list[Row]:
    """Pairwise precision and recall against ground truth, exact keys alone then with the probabilistic pass."""
    rows: list[Row] = []
    for probabilistic in (False, True):
        started = time.perf_counter()
        quality = evaluate(data_dir, key, probabilistic=probabilistic)
        seconds = time.perf_counter() - started
        method = "exact+bloom" if probabilistic else "exact keys"
        for label, q in quality.items():
            note = f"precision {q.precision:.4f} recall {q.recall:.4f}"
            rows.append((f"linkage {method}, {label}", q.true_pairs, seconds, note))
    return rows


def ingested_linkage_rows(data_dir: Path, key: bytes, url: str) -> list[Row]:
    """The same pairs, on the person keys the real ingestion stored in raw (every person-level extract loaded
    into the empty warehouse at ``url``)."""
    started = time.perf_counter()
    quality, quarantined = evaluate_ingested(data_dir, key, url)
    seconds = time.perf_counter() - started
    return [
        (
            f"linkage ingested, {label}",
            q.true_pairs,
            seconds,
            f"precision {q.precision:.4f} recall {q.recall:.4f} ({quarantined} rows quarantined)",
        )
        for label, q in quality.items()
    ]


def redaction_rows(passes: int = 3) -> list[Row]:
    """Recall per type and precision on the labelled set; batched vs per-text AnalyzerEngine throughput.

    Throughput is measured on the labelled sentences themselves (all distinct: the batched path
    analyses a repeated text once, so repeating the set would inflate the ratio), with recall and
    precision of both paths on them, so "at equal recall" is checked in the same run.
    """
    redactor = Redactor()
    texts = [s.text for s in LABELLED]
    names = [s.names for s in LABELLED]
    labels = [s.spans for s in LABELLED]
    started = time.perf_counter()
    found = redactor.analyse_many(texts, names)
    seconds = time.perf_counter() - started
    quality = score(texts, labels, found)
    rows: list[Row] = [
        (f"redaction recall {kind}", quality.labelled[kind], seconds, f"{quality.recall[kind]:.3f}")
        for kind in sorted(quality.recall)
    ]
    rows.append(("redaction precision", quality.detected, seconds, f"{quality.precision:.3f}"))
    speed = compare_throughput(redactor, texts, names, labels, passes=passes)
    assert speed.batched is not None and speed.per_text is not None
    per_text_recall = " ".join(f"{k} {v:.3f}" for k, v in sorted(speed.per_text.recall.items()))
    rows.append(
        (
            "redaction batched",
            speed.texts,
            speed.batched_seconds,
            f"x{speed.ratio:.1f} vs per-text, equal recall: {speed.equal_recall}, {speed.differing} texts differ",
        )
    )
    rows.append(
        (
            "redaction batched, NER on every text",
            speed.texts,
            speed.ner_everywhere_seconds,
            f"x{speed.ratio_ner_everywhere:.1f}",
        )
    )
    rows.append(
        (
            "redaction per-text analyze",
            speed.texts,
            speed.per_text_seconds,
            f"recall {per_text_recall}, precision {speed.per_text.precision:.3f}",
        )
    )
    return rows


if __name__ == "__main__":
    rows = redaction_rows() if len(sys.argv) < 2 else [*linkage_rows(Path(sys.argv[1]), bytes(32)), *redaction_rows()]
    for row in rows:
        print(row)
