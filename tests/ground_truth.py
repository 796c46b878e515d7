"""Indicators recomputed in plain Python from the sample generator's ground truth, independently of dbt."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Cell:
    numerator: int
    denominator: int


def retention_cells(ground_truth: Path, months: int = 12) -> dict[tuple[str, str], Cell]:
    """(site, cohort) -> retained / observed persons, with 'all' totals, as the catalogue defines it."""
    as_of = date.fromisoformat(json.loads((ground_truth / "meta.json").read_text())["as_of"])
    tenancies = defaultdict(list)
    for row in _rows(ground_truth / "tenancies.csv"):
        tenancies[row["person_id"]].append((_date(row["start_date"]), _date(row["end_date"]), row["exit_reason"]))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for person in _rows(ground_truth / "programme.csv"):
        entry = date.fromisoformat(person["entry_date"])
        checkpoint = entry + relativedelta(months=months)
        if checkpoint > as_of:
            continue
        spells = tenancies[person["person_id"]]
        housed = any(start <= checkpoint and (end is None or end > checkpoint) for start, end, _ in spells)
        exits = sorted(
            (end, reason) for _, end, reason in spells if end and end <= checkpoint and reason != "demenagement"
        )
        last_exit = exits[-1][1] if exits else None
        if not housed and last_exit == "deces":
            continue
        retained = housed or last_exit == "logement_autonome"
        site, cohort = person["site"], quarter(entry)
        for key in ((site, cohort), (site, "all"), ("all", cohort), ("all", "all")):
            counts[key][0] += retained
            counts[key][1] += 1
    return {key: Cell(*value) for key, value in counts.items()}


def identifiers(ground_truth: Path) -> dict[str, set[str]]:
    """Every direct identifier of every true person, by kind."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for person in _rows(ground_truth / "persons.csv"):
        for kind in ("nir", "phone", "email", "family_name", "given_name", "birth_date"):
            if person.get(kind):
                kinds[kind].add(person[kind])
    return kinds
