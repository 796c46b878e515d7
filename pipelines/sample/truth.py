"""ground_truth/: the true persons, programme, tenancies, record links and injected broken rows."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from pipelines.sample.invalid import InvalidRow
from pipelines.sample.rows import TenancyTruth, World
from pipelines.sample.writers import iso_date, write_csv


def _write_truth_csv(path: Path, header: tuple[str, ...], rows: list[tuple]) -> None:
    write_csv(path, header, [dict(zip(header, row, strict=True)) for row in rows])


def write_ground_truth(
    truth_dir: Path,
    world: World,
    tenancies: list[TenancyTruth],
    links: list[tuple[str, str, str]],
    invalid: list[InvalidRow],
    seed: int,
    as_of: date,
    period: str,
) -> list[Path]:
    """Write every truth file (UTF-8, ",", ISO dates) and return their paths."""
    written = []

    def table(name: str, header: tuple[str, ...], rows: list[tuple]) -> None:
        _write_truth_csv(truth_dir / name, header, rows)
        written.append(truth_dir / name)

    table(
        "persons.csv",
        ("person_id", "given_name", "family_name", "birth_date", "sex", "nir", "phone", "email"),
        [
            (
                p.person_id,
                p.given_name,
                p.family_name,
                p.birth_date.isoformat(),
                p.sex,
                p.nir,
                p.phone,
                p.email,
            )
            for p in world.people
        ],
    )
    table("links.csv", ("source", "record_id", "person_id"), links)
    table(
        "programme.csv",
        ("person_id", "site", "referral_date", "entry_date"),
        [
            (p.person_id, h.site, h.referral.isoformat(), h.entry.isoformat())
            for p, h in zip(world.people, world.paths, strict=True)
        ],
    )
    table(
        "tenancies.csv",
        ("tenancy_id", "person_id", "site", "start_date", "end_date", "exit_reason"),
        [(tid, pid, site, iso_date(t.start), iso_date(t.end), t.exit_reason or "") for tid, pid, site, t in tenancies],
    )
    table(
        "invalid_rows.csv",
        ("source", "row_number", "record_id", "problem"),
        [(r.source, str(r.row_number), r.record_id, r.problem) for r in invalid],
    )
    meta = {"persons": len(world.people), "seed": seed, "as_of": as_of.isoformat(), "period": period}
    (truth_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8", newline="")
    written.append(truth_dir / "meta.json")
    return written
