"""Generate a deterministic sample: partner extracts under landing/ and the truth under ground_truth/.

    python -m pipelines.sample.generate --out data --persons 2000 --seed 42 [--as-of 2025-12-31]
        [--months 6] [--config my_rates.yml]

Every random draw comes from a named random.Random stream derived from the seed, so the same
(persons, seed, as_of, months, config) always writes the same bytes, and changing one domain (say the
notes) does not reshuffle another (say the tenancies). By default each source is one snapshot as of
`as_of`; with months > 1 each source is sent at every month end, a few records reach a month late, and
some sources re-send the month before last, corrected. A month's file is a snapshot of the whole history,
or for the large event sources (APPEND_SOURCES) the records keyed since the month before.

Memory stays bounded whatever the number of persons: persons are simulated one at a time, their truth
written and their rows of every snapshot spooled to disk; then each extract is written from its spool.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipelines.sample.config import SampleConfig, load_config
from pipelines.sample.extracts import ANONYMOUS_ROWS, PERSON_ROWS, POPULATION_EXTRACTS, ExtractWriter, WrittenExtract
from pipelines.sample.identities import iter_identities
from pipelines.sample.rows import Extract, Snapshot, numbered_after
from pipelines.sample.sources import APPEND_SOURCES, SOURCES
from pipelines.sample.spool import Spool
from pipelines.sample.trajectories import MIN_FOLLOW_UP_DAYS, PROGRAMME_START
from pipelines.sample.truth import ExtractTruth, PersonTruth, write_population_truth
from pipelines.sample.world import Simulation, stream

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
    sim = Simulation(seed, as_of, config)
    late_share = config.monthly.late_record_share if months > 1 else 0.0
    snaps: list[Snapshot] = []
    for cut in cuts:
        notes = stream(seed, f"notes:{cut}")
        previous = snaps[-1] if snaps else None
        snaps.append(Snapshot(cut, cut == as_of, late_share, config.identity.duplicate_row_share, notes, previous))
    truth_dir = out_dir / "ground_truth"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".spool-") as spool_dir:
        spool = Spool(Path(spool_dir))
        with PersonTruth(truth_dir) as person_truth:
            for person in sim.people(persons):
                person_truth.add(person)
                person_id = person.identity.person_id
                for snap in snaps:
                    for source, rows in PERSON_ROWS.items():
                        linked = None if source in ANONYMOUS_ROWS else person_id
                        spool.add((snap.cut.isoformat(), source), rows(person, snap), linked)
        spool.close()
        written, extract_truth = _write_extracts(out_dir, sim, snaps, spool)

    final = [w for w in written if w.snapshot == as_of.isoformat()]
    files = [p for w in written for p in (w.path, *w.beside)] + extract_truth + person_truth.paths
    files += write_population_truth(truth_dir, sim, written, final[0].period)
    return GenerationSummary(
        persons,
        files,
        {w.source: w.rows for w in final},
        {w.source: w.invalid for w in final},
    )


def _numbers_used(sim: Simulation, source: str) -> int:
    """How many record numbers of `source` the world uses: broken rows take the next ones."""
    if source == "housing_participants":
        return sim.persons
    if source == "housing_support_contacts":
        return 0  # a contact is numbered from its participant's number * 10_000: 1..9999 are free
    if source == "landlord_leases":
        return sim.used.get("housing_tenancies", 0)  # the landlord's contract number follows the tenancy's
    return sim.used.get(source, 0)


def _extract(sim: Simulation, spool: Spool, source: str, snap: Snapshot) -> Extract:
    if source in POPULATION_EXTRACTS:
        return POPULATION_EXTRACTS[source](sim, snap)
    key = (snap.cut.isoformat(), source)
    rows = spool.sorted_rows(key, ANONYMOUS_ROWS[source]) if source in ANONYMOUS_ROWS else spool.rows(key)
    return Extract(rows, numbered_after(source, _numbers_used(sim, source)), spool.counts.get(key, 0))


def _write_extracts(
    out_dir: Path, sim: Simulation, snaps: list[Snapshot], spool: Spool
) -> tuple[list[WrittenExtract], list[Path]]:
    """Every snapshot's extracts, with links.csv and the broken rows' truth while they are written."""
    config = sim.config
    # Broken rows borrow made-up people that share no identifier with the true world.
    fakes = iter_identities(stream(sim.seed, "fakes"), sim.seen, prefix="FAKE")
    with ExtractTruth(out_dir / "ground_truth") as truth:
        writer = ExtractWriter(out_dir, config, stream(sim.seed, "invalid"), fakes, truth.invalid)
        for snap in snaps:
            corrected = len(snaps) > 1 and snap is snaps[-2]
            for source in SOURCES:
                # the rows that end up current are linked: every month's of an append source, the last of a snapshot
                links = truth.link if snap.final or source in APPEND_SOURCES else None
                extract = _extract(sim, spool, source, snap)
                if corrected and source in config.monthly.corrected_sources:
                    share = config.monthly.dropped_share_before_correction
                    writer.write(source, snap, extract, None, "superseded", dropped_share=share)
                    writer.write(source, snap, extract, links, "correction")
                else:
                    writer.write(source, snap, extract, links)
    return writer.written, truth.paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write deterministic sample partner extracts.")
    parser.add_argument("--out", type=Path, required=True, help="data root (landing/ and ground_truth/)")
    parser.add_argument("--persons", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEFAULT_AS_OF)
    parser.add_argument(
        "--months", type=int, default=1, help="one extract per source and month end for the last N months"
    )
    parser.add_argument("--config", type=Path, help="YAML overriding pipelines/sample/defaults.yml")
    args = parser.parse_args(argv)
    summary = generate(args.out, args.persons, args.seed, args.as_of, args.months, load_config(args.config))
    print("rows of the last month's files (an append source's: that month's new records)")
    for source, count in summary.rows.items():
        print(f"{source}: {count} rows ({summary.invalid_rows[source]} invalid)")


if __name__ == "__main__":
    main()
