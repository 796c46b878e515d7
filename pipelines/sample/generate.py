"""Generate a deterministic sample: partner extracts under landing/ and the truth under ground_truth/.

    python -m pipelines.sample.generate --out data --persons 2000 --seed 42 [--as-of 2025-12-31]

Every random draw comes from a named random.Random stream derived from the seed, so the same
(persons, seed, as_of) always writes the same bytes, and changing one domain (say the notes) does
not reshuffle another (say the tenancies).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.sample.events import employment_events, health_events, justice_events
from pipelines.sample.identities import identifiers, iter_identities, make_identities
from pipelines.sample.invalid import InvalidRow, Row, inject
from pipelines.sample.noise import PARTNERS, partner_view
from pipelines.sample.notes import case_note
from pipelines.sample.rows import (
    World,
    event_rows,
    participant_rows,
    render_contract,
    render_encounter,
    render_justice,
    tenancy_rows,
)
from pipelines.sample.sources import HEADERS, SOURCES, SPECS, identity_columns, landing_file, record_id
from pipelines.sample.trajectories import MIN_FOLLOW_UP_DAYS, PROGRAMME_START, simulate_housing
from pipelines.sample.truth import write_ground_truth
from pipelines.sample.writers import write_csv, write_french_csv, write_jsonl

DEFAULT_AS_OF = date(2025, 12, 31)


@dataclass(frozen=True)
class GenerationSummary:
    persons: int
    files: list[Path]  # landing files in SOURCES order, then ground_truth files
    rows: dict[str, int]  # data rows (header excluded) per source file, invalid rows included
    invalid_rows: dict[str, int]  # of which injected invalid rows


def _stream(seed: int, name: str) -> random.Random:
    # str seeds are hashed with SHA-512 by random, so they are stable across runs and platforms.
    return random.Random(f"abord-sample:{seed}:{name}")


def generate(out_dir: Path, persons: int, seed: int, as_of: date = DEFAULT_AS_OF) -> GenerationSummary:
    """Write landing/<partner>/... and ground_truth/... under `out_dir`; same inputs, same bytes."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if as_of < PROGRAMME_START + timedelta(days=MIN_FOLLOW_UP_DAYS):
        raise ValueError(f"as_of must leave {MIN_FOLLOW_UP_DAYS} days after {PROGRAMME_START}")
    out_dir = Path(out_dir)
    period = f"{as_of.year:04d}-{as_of.month:02d}"

    people = make_identities(_stream(seed, "identities"), persons)
    housing_rng = _stream(seed, "housing")
    paths = [simulate_housing(housing_rng, as_of) for _ in people]
    noise_rng = _stream(seed, "noise")
    views = {partner: [partner_view(noise_rng, p, partner) for p in people] for partner in PARTNERS}
    world = World(people, paths, views)
    health_rng, justice_rng, work_rng = (_stream(seed, n) for n in ("health", "justice", "employment"))
    health = [health_events(health_rng, p, as_of) for p in paths]
    justice = [justice_events(justice_rng, p, as_of) for p in paths]
    work = [employment_events(work_rng, p, as_of) for p in paths]

    housing_rows, participant_ids, housing_persons = participant_rows(world, _stream(seed, "notes"), as_of)
    lease_rows, lease_persons, lease_truth = tenancy_rows(world, participant_ids, _stream(seed, "rents"))
    valid: dict[str, tuple[list[Row], list[str]]] = {
        "housing_participants": (housing_rows, housing_persons),
        "housing_tenancies": (lease_rows, lease_persons),
        "health_encounters": event_rows(world, "health_encounters", health, render_encounter),
        "employment_contracts": event_rows(world, "employment_contracts", work, render_contract),
        "justice_events": event_rows(world, "justice_events", justice, render_justice),
    }

    # Broken rows borrow made-up people that share no identifier with the true world.
    invalid_rng = _stream(seed, "invalid")
    fakes = iter_identities(_stream(seed, "fakes"), prefix="FAKE", taken=identifiers(people))

    def disguise_for(source: str) -> Callable[[Row], Row]:
        partner = SOURCES[source][0]

        def disguise(row: Row) -> Row:
            if source == "housing_tenancies":
                return row
            view = partner_view(invalid_rng, next(fakes), partner)
            row.update(identity_columns(source, view))
            if source == "housing_participants":
                dd, mm, yyyy = row["date_entree"].split("/")  # still the valid template's date here
                entry = date(int(yyyy), int(mm), int(dd))
                row["notes"] = case_note(invalid_rng, view, row["site"], entry, as_of)
            return row

        return disguise

    files: list[Path] = []
    links: list[tuple[str, str, str]] = []
    invalid: list[InvalidRow] = []
    rows_count: dict[str, int] = {}
    invalid_count: dict[str, int] = {}
    for source, (rows, person_ids) in valid.items():
        spec = SPECS[source]

        def new_id(n: int, source: str = source, start: int = len(rows)) -> str:
            return record_id(source, start + n)  # continue the partner's numbering

        merged, listed = inject(invalid_rng, source, spec, rows, new_id, disguise_for(source))
        path = landing_file(out_dir, source, period)
        if source == "justice_events":
            write_jsonl(path, merged)
        elif source.startswith("housing_"):
            write_french_csv(path, HEADERS[source], merged)
        else:
            write_csv(path, HEADERS[source], merged)
        files.append(path)
        links += [(source, row[spec.id_column], pid) for row, pid in zip(rows, person_ids, strict=True)]
        invalid += listed
        rows_count[source], invalid_count[source] = len(merged), len(listed)

    truth_dir = out_dir / "ground_truth"
    files += write_ground_truth(truth_dir, world, lease_truth, links, invalid, seed, as_of, period)
    return GenerationSummary(persons, files, rows_count, invalid_count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write deterministic sample partner extracts.")
    parser.add_argument("--out", type=Path, required=True, help="data root (landing/ and ground_truth/)")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    args = parser.parse_args(argv)
    summary = generate(args.out, args.persons, args.seed, args.as_of)
    for source, count in summary.rows.items():
        print(f"{source}: {count} rows ({summary.invalid_rows[source]} invalid)")


if __name__ == "__main__":
    main()
