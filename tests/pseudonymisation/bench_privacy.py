"""`make bench` sections for linkage quality and redaction (issue #4 §4, §5), for tests/bench.py to call.

Each function returns rows (what, rows, seconds, note) that map one to one onto tests.bench.Result:

    from tests.pseudonymisation.bench_privacy import linkage_rows, redaction_rows

    def privacy(bench: Bench) -> list[Result]:
        key = load_key(bench.data_dir / "abord.key")
        rows = linkage_rows(bench.data_dir, key) + redaction_rows()
        return [Result("privacy", *row) for row in rows]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # its siblings import each other as pytest sees them

from labelled_notes import LABELLED  # noqa: E402
from linkage_quality import evaluate  # noqa: E402

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


def redaction_rows(repeat: int = 2) -> list[Row]:
    """Recall per type and precision on the labelled set; batched vs per-text AnalyzerEngine throughput."""
    redactor = Redactor()
    texts = [s.text for s in LABELLED] * repeat
    names = [s.names for s in LABELLED] * repeat
    started = time.perf_counter()
    found = redactor.analyse_many(texts[: len(LABELLED)], names[: len(LABELLED)])
    seconds = time.perf_counter() - started
    quality = score(texts[: len(LABELLED)], [s.spans for s in LABELLED], found)
    rows: list[Row] = [
        (f"redaction recall {kind}", quality.labelled[kind], seconds, f"{quality.recall[kind]:.3f}")
        for kind in sorted(quality.recall)
    ]
    rows.append(("redaction precision", quality.detected, seconds, f"{quality.precision:.3f}"))
    speed = compare_throughput(redactor, texts, names)
    rows.append(("redaction batched", speed.texts, speed.batched_seconds, f"same spans: {speed.same_spans}"))
    rows.append(("redaction per-text analyze", speed.texts, speed.per_text_seconds, f"batched x{speed.ratio:.1f}"))
    return rows


if __name__ == "__main__":
    for row in [*linkage_rows(Path(sys.argv[1]), bytes(32)), *redaction_rows()]:
        print(row)
