"""ground_truth/: the true world behind the extracts, written from the simulation itself (never from the
rendered files) so that indicators recomputed from it check the pipeline independently.

All files are UTF-8, "," separated, ISO dates. links.csv is streamed by generate.py while it writes
the extracts; everything else is written here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from pipelines.sample.extracts import WrittenExtract
from pipelines.sample.finance import FUNDERS, clauses, convention_lines
from pipelines.sample.sources import record_id
from pipelines.sample.support import KINDS, contact_number
from pipelines.sample.voice import quarter_of
from pipelines.sample.world import TenancyRecord, World
from pipelines.sample.writers import iso_date, write_table


def _table(path: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> Path:
    write_table(path, header, rows)
    return path


def _support(world: World) -> Iterable[tuple]:
    for i, log in enumerate(world.support):
        person, participant = world.people[i].person_id, world.participant_numbers[i]
        # straight from the log's arrays: support contacts are the most numerous truth rows
        for k, (day, kind, minutes) in enumerate(zip(log.days, log.kinds, log.minutes, strict=True), start=1):
            contact = record_id("housing_support_contacts", contact_number(participant, k))
            yield contact, person, date.fromordinal(day).isoformat(), minutes, KINDS[kind]


def _landlord_ids(source: str, number: int, t: TenancyRecord) -> tuple[str, str, str]:
    return record_id(source, number), record_id("housing_tenancies", t.number), t.lease.landlord.landlord_id


def _incidents(world: World) -> Iterable[tuple]:
    for number, (t, i) in enumerate(world.incidents, start=1):
        yield *_landlord_ids("landlord_incidents", number, t), i.kind, iso_date(i.reported), iso_date(i.resolved)


def _claims(world: World) -> Iterable[tuple]:
    for number, (t, c) in enumerate(world.claims, start=1):
        status = "en_cours" if c.decided is None else "refusee" if c.refused else "payee"
        ids = _landlord_ids("landlord_guarantee_claims", number, t)
        yield *ids, c.reason, iso_date(c.claimed), f"{c.amount:.2f}", status, iso_date(c.decided)


def write_ground_truth(
    truth_dir: Path, world: World, written: list[WrittenExtract], final: list[WrittenExtract]
) -> list[Path]:
    """Write every truth file but links.csv and return their paths."""
    people = world.people
    files = [
        _table(
            truth_dir / "persons.csv",
            ("person_id", "given_name", "family_name", "birth_date", "sex", "nir", "phone", "email"),
            (
                (p.person_id, p.given_name, p.family_name, p.birth_date.isoformat(), p.sex, p.nir, p.phone, p.email)
                for p in people
            ),
        ),
        _table(
            truth_dir / "programme.csv",
            ("person_id", "site", "referral_date", "entry_date"),
            (
                (p.person_id, h.site, h.referral.isoformat(), h.entry.isoformat())
                for p, h in zip(people, world.paths, strict=True)
            ),
        ),
        _table(
            truth_dir / "tenancies.csv",
            ("tenancy_id", "person_id", "site", "start_date", "end_date", "exit_reason"),
            (
                (
                    record_id("housing_tenancies", t.number),
                    people[t.person].person_id,
                    world.paths[t.person].site,
                    iso_date(t.tenancy.start),
                    iso_date(t.tenancy.end),
                    t.tenancy.exit_reason or "",
                )
                for t in world.tenancies
            ),
        ),
        _table(
            truth_dir / "invalid_rows.csv",
            ("source", "row_number", "record_id", "problem"),
            ((r.source, str(r.row_number), r.record_id, r.problem) for w in final for r in w.invalid),
        ),
        _table(
            truth_dir / "usage_names.csv",
            ("person_id", "usage_family_name"),
            ((p.person_id, p.usage_family_name) for p in people if p.usage_family_name),
        ),
        _table(
            truth_dir / "duplicates.csv",
            ("partner", "person_id"),
            ((partner, people[i].person_id) for partner, dups in world.duplicates.items() for i in sorted(dups)),
        ),
        _table(
            truth_dir / "shelter_stays.csv",
            ("person_id", "first_night", "nights", "shelter", "place_type"),
            (
                (people[i].person_id, s.first_night.isoformat(), s.nights, s.shelter, s.place_type)
                for i, stays in enumerate(world.shelter)
                for s in stays
            ),
        ),
        _table(
            truth_dir / "support_contacts.csv",
            ("contact_id", "person_id", "contact_date", "minutes", "kind"),
            _support(world),
        ),
        _table(
            truth_dir / "leases.csv",
            (
                "tenancy_id",
                "person_id",
                "landlord_id",
                "landlord_type",
                "site",
                "start_date",
                "end_date",
                "converted_date",
            ),
            (
                (
                    record_id("housing_tenancies", t.number),
                    people[t.person].person_id,
                    t.lease.landlord.landlord_id,
                    t.lease.landlord.kind,
                    t.lease.landlord.site,
                    iso_date(t.tenancy.start),
                    iso_date(t.tenancy.end),
                    iso_date(t.lease.converted),
                )
                for t in world.tenancies
            ),
        ),
        _table(
            truth_dir / "landlord_incidents.csv",
            ("incident_id", "tenancy_id", "landlord_id", "kind", "reported_date", "resolved_date"),
            _incidents(world),
        ),
        _table(
            truth_dir / "guarantee_claims.csv",
            ("claim_id", "tenancy_id", "landlord_id", "reason", "claim_date", "amount", "status", "decision_date"),
            _claims(world),
        ),
        _table(
            truth_dir / "survey_responses.csv",
            (
                "response_id",
                "site",
                "quarter",
                "response_date",
                "satisfaction_housing",
                "satisfaction_support",
                "quality_of_life",
            ),
            (
                (
                    record_id("tenant_survey", n),
                    r.site,
                    quarter_of(r.answered),
                    r.answered.isoformat(),
                    r.satisfaction_housing,
                    r.satisfaction_support,
                    r.quality_of_life,
                )
                for n, r in enumerate(world.survey, start=1)
            ),
        ),
        _table(
            truth_dir / "council_sessions.csv",
            ("session_id", "site", "session_date", "attendees", "actions_decided"),
            (
                (record_id("tenant_council", n), s.site, s.held.isoformat(), s.attendees, s.actions_decided)
                for n, s in enumerate(world.council, start=1)
            ),
        ),
        _table(
            truth_dir / "funders.csv",
            ("funder_code", "name", "kind", "sites"),
            ((f.code, f.name, f.kind, "|".join(f.sites)) for f in FUNDERS),
        ),
        _table(
            truth_dir / "conventions.csv",
            ("line_id", "funder_code", "convention", "site", "sector", "year", "signed_date", "committed", "paid"),
            (
                (
                    c.line_id,
                    c.funder,
                    c.convention,
                    c.site,
                    c.sector,
                    c.year,
                    c.signed.isoformat(),
                    f"{c.committed:.2f}",
                    f"{c.paid:.2f}",
                )
                for c in convention_lines(world.budget, world.as_of, world.config.finance)
            ),
        ),
        _table(
            truth_dir / "pfp_clauses.csv",
            ("clause_id", "funder_code", "convention", "site", "indicator_code", "year", "target", "payment"),
            (
                (
                    c.clause_id,
                    c.funder,
                    c.convention,
                    c.site,
                    c.indicator_code,
                    c.year,
                    f"{c.target:.2f}",
                    f"{c.payment:.2f}",
                )
                for c in clauses(world.budget, world.as_of)
            ),
        ),
        _table(
            truth_dir / "extracts.csv",
            ("file", "source", "period", "kind", "snapshot_date", "rows", "invalid_rows"),
            (
                (
                    w.path.relative_to(truth_dir.parent / "landing").as_posix(),
                    w.source,
                    w.period,
                    w.kind,
                    w.snapshot,
                    w.rows,
                    len(w.invalid),
                )
                for w in written
            ),
        ),
        _table(
            truth_dir / "extract_invalid_rows.csv",
            ("file", "row_number", "record_id", "problem"),
            (
                (w.path.relative_to(truth_dir.parent / "landing").as_posix(), r.row_number, r.record_id, r.problem)
                for w in written
                for r in w.invalid
            ),
        ),
    ]
    meta = {"persons": len(people), "seed": world.seed, "as_of": world.as_of.isoformat(), "period": final[0].period}
    (truth_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8", newline="")
    return [*files, truth_dir / "meta.json"]
