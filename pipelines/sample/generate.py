"""Generate a deterministic sample: partner extracts under landing/ and the truth under ground_truth/.

    python -m pipelines.sample.generate --out data --persons 2000 --seed 42 [--as-of 2025-12-31]
        [--months 6] [--config my_rates.yml]

Every random draw comes from a named random.Random stream derived from the seed, so the same
(persons, seed, as_of, months, config) always writes the same bytes, and changing one domain (say the
notes) does not reshuffle another (say the tenancies). By default each source is one snapshot as of
`as_of`; with months > 1 each source is a snapshot per month end, a few records reach a month late,
and some sources re-send the month before last, corrected.
"""

from __future__ import annotations

import argparse
import csv
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.sample.config import SampleConfig, load_config
from pipelines.sample.extracts import BUILDERS, ExtractWriter
from pipelines.sample.identities import identifiers, iter_identities
from pipelines.sample.rows import Snapshot
from pipelines.sample.trajectories import MIN_FOLLOW_UP_DAYS, PROGRAMME_START
from pipelines.sample.truth import write_ground_truth
from pipelines.sample.world import World, build_world, stream

DEFAULT_AS_OF = date(2025, 12, 31)


@dataclass(frozen=True)
class GenerationSummary:
    persons: int
    files: list[Path]  # landing files in writing order, then ground_truth files
    rows: dict[str, int]  # data rows (header excluded) per source in the as_of extract, invalid rows included
    invalid_rows: dict[str, int]  # of which injected invalid rows


def month_ends(as_of: date, months: int) -> list[date]:
    """The last day of each of the `months` months ending with as_of's month; as_of itself last."""
    cuts = [as_of]
    for _ in range(months - 1):
        cuts.append(date(cuts[-1].year, cuts[-1].month, 1) - timedelta(days=1))
    return cuts[::-1]


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """The world is millions of acyclic objects: building it with the cycle collector on would rescan them
    again and again (a fifth of the run at 10k persons). Refcounting still frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def generate(
    out_dir: Path,
    persons: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    months: int = 1,
    config: SampleConfig | None = None,
) -> GenerationSummary:
    """Write landing/<partner>/... and ground_truth/... under `out_dir`; same inputs, same bytes."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    if as_of < PROGRAMME_START + timedelta(days=MIN_FOLLOW_UP_DAYS):
        raise ValueError(f"as_of must leave {MIN_FOLLOW_UP_DAYS} days after {PROGRAMME_START}")
    cuts = month_ends(as_of, months)
    if cuts[0] < PROGRAMME_START:
        raise ValueError(f"{months} months before {as_of} is before the programme start {PROGRAMME_START}")
    out_dir = Path(out_dir)
    config = config or load_config()
    with _cycle_collection_paused():
        world = build_world(persons, seed, as_of, config)
    gc.freeze()  # likewise while the files are written: full collections skip the world, rows are collected
    try:
        return _write(out_dir, world, cuts, config)
    finally:
        gc.unfreeze()


def _write(out_dir: Path, world: World, cuts: list[date], config: SampleConfig) -> GenerationSummary:
    """Every snapshot's extracts, links.csv while they are written, then the rest of the truth."""
    seed, as_of, months = world.seed, world.as_of, len(cuts)
    # Broken rows borrow made-up people that share no identifier with the true world.
    fakes = iter_identities(stream(seed, "fakes"), prefix="FAKE", taken=identifiers(world.people))
    writer = ExtractWriter(out_dir, world, stream(seed, "invalid"), fakes)
    truth_dir = out_dir / "ground_truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    links_path = truth_dir / "links.csv"
    late_share = config.monthly.late_record_share if months > 1 else 0.0
    with links_path.open("w", encoding="utf-8", newline="") as handle:
        links = csv.writer(handle, lineterminator="\n")
        links.writerow(("source", "record_id", "person_id"))

        def record(source: str, record_id: str, person_id: str) -> None:
            links.writerow((source, record_id, person_id))

        for cut in cuts:
            snap = Snapshot(cut, final=cut == as_of, late_share=late_share)
            corrected = months > 1 and cut == cuts[-2]
            for source, build in BUILDERS.items():
                extract = build(world, snap)
                if corrected and source in config.monthly.corrected_sources:
                    share = config.monthly.dropped_share_before_correction
                    writer.write(source, snap, extract, None, "superseded", dropped_share=share)
                    writer.write(source, snap, extract, None, "correction")
                else:
                    writer.write(source, snap, extract, record if snap.final else None)

    final = [w for w in writer.written if w.snapshot == as_of.isoformat()]
    files = [w.path for w in writer.written] + [links_path]
    files += write_ground_truth(truth_dir, world, writer.written, final)
    return GenerationSummary(
        len(world.people),
        files,
        {w.source: w.rows for w in final},
        {w.source: len(w.invalid) for w in final},
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write deterministic sample partner extracts.")
    parser.add_argument("--out", type=Path, required=True, help="data root (landing/ and ground_truth/)")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument("--months", type=int, default=1, help="one snapshot per month end for the last N months")
    parser.add_argument("--config", type=Path, help="YAML overriding pipelines/sample/defaults.yml")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.persons, args.seed, args.as_of, args.months, load_config(args.config))
    for source, count in summary.rows.items():
        print(f"{source}: {count} rows ({summary.invalid_rows[source]} invalid)")


if __name__ == "__main__":
    main()
