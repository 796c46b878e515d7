"""Hand-written health and justice extracts of given identities, for the linkage and split tests: two partners
that share no identifier, each row one record of one person (with the NIR when the identity has one)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext
from pseudonymisation.link_keys import Identity

CONTRACTS = load_contracts()
HEALTH, JUSTICE = CONTRACTS["health_encounters"], CONTRACTS["justice_events"]


def linking_context(make_ingest_context: Callable[..., IngestContext]) -> IngestContext:
    context = make_ingest_context(lambda: None)  # no free text in these two sources
    context.ensure_schema()
    return context


def health_extract(
    root: Path, period: str, rows: list[tuple[str, Identity]], admitted: dict[str, str] | None = None
) -> Path:
    """One emergency visit per row, on the first of the period's month (or as `admitted` writes it, by record)."""
    path = root / "health" / f"encounters_{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in HEALTH.columns])
        for record_id, who in rows:
            identity = [who.family_name, who.given_name, who.birth_date, who.nir or ""]
            admission = (admitted or {}).get(record_id, f"{period}-01")
            writer.writerow([record_id, *identity, "", "urgence", "", admission, "", ""])
    return path


def justice_extract(root: Path, period: str, rows: list[tuple[str, Identity]]) -> Path:
    """One police custody per row, on the second of the period's month."""
    path = root / "justice" / f"events_{period}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {"event_id": record_id, "surname": who.family_name, "first_names": who.given_name,
         "date_of_birth": who.birth_date, "nir": who.nir, "event_type": "garde_a_vue", "start_date": f"{period}-02"}
        for record_id, who in rows
    ]  # fmt: skip
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path
