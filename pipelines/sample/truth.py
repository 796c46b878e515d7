"""ground_truth/: the true world behind the extracts, written from the simulation itself (never from the
rendered files) so that indicators recomputed from it check the pipeline independently.

All files are UTF-8, "," separated, ISO dates. The person-level tables are written person by person as the
persons are simulated, links.csv and the broken rows while the extracts are written, the rest at the end.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from pipelines.sample.extracts import WrittenExtract
from pipelines.sample.finance import FUNDERS, clauses, convention_lines
from pipelines.sample.invalid import InvalidRow
from pipelines.sample.rows import Snapshot
from pipelines.sample.rows_anonymous import sessions
from pipelines.sample.rows_landlords import claim_status
from pipelines.sample.sources import record_id
from pipelines.sample.support import KINDS, contact_number
from pipelines.sample.voice import quarter_of
from pipelines.sample.world import Person, Simulation
from pipelines.sample.writers import iso_date, write_table


def _persons(p: Person) -> Iterable[tuple]:
    i = p.identity
    yield i.person_id, i.given_name, i.family_name, i.birth_date.isoformat(), i.sex, i.nir, i.phone, i.email


def _deaths(p: Person) -> Iterable[tuple]:
    """The true death day, whether it came in a hospital stay the hospital discharges as a death, and the day the
    housing operator ends the tenancy for it (tenancies.csv holds the operator's record: later, or never)."""
    if p.path.death_date is not None:
        recorded = p.hospital_death.recorded if p.hospital_death else p.path.death_date
        yield p.identity.person_id, p.path.death_date.isoformat(), int(p.hospital_death is not None), iso_date(recorded)


def _programme(p: Person) -> Iterable[tuple]:
    yield p.identity.person_id, p.path.site, p.path.referral.isoformat(), p.path.entry.isoformat()


def _tenancies(p: Person) -> Iterable[tuple]:
    for t in p.tenancies:
        tenancy_id, person_id = record_id("housing_tenancies", t.number), p.identity.person_id
        start, end = iso_date(t.tenancy.start), iso_date(t.tenancy.end)
        yield tenancy_id, person_id, p.path.site, start, end, t.tenancy.exit_reason or ""


def _usage_names(p: Person) -> Iterable[tuple]:
    if p.identity.usage_family_name:
        yield p.identity.person_id, p.identity.usage_family_name


def _duplicates(p: Person) -> Iterable[tuple]:
    for partner in p.duplicates:
        yield partner, p.identity.person_id


def _shelter_stays(p: Person) -> Iterable[tuple]:
    for s in p.shelter:
        yield p.identity.person_id, s.first_night.isoformat(), s.nights, s.shelter, s.place_type


def _support_contacts(p: Person) -> Iterable[tuple]:
    log = p.support
    # straight from the log's arrays: support contacts are the most numerous truth rows
    for k, (day, kind, minutes) in enumerate(zip(log.days, log.kinds, log.minutes, strict=True), start=1):
        contact = record_id("housing_support_contacts", contact_number(p.number, k))
        yield contact, p.identity.person_id, date.fromordinal(day).isoformat(), minutes, KINDS[kind]


def _leases(p: Person) -> Iterable[tuple]:
    for t in p.tenancies:
        landlord = t.lease.landlord
        yield (
            record_id("housing_tenancies", t.number),
            p.identity.person_id,
            landlord.landlord_id,
            landlord.kind,
            landlord.site,
            iso_date(t.tenancy.start),
            iso_date(t.tenancy.end),
            iso_date(t.lease.converted),
        )


def _incidents(p: Person) -> Iterable[tuple]:
    source = "landlord_incidents"
    for k, (t, i) in enumerate(p.incidents):
        ids = record_id(source, p.first[source] + k), record_id("housing_tenancies", t.number)
        yield (
            *ids,
            t.lease.landlord.landlord_id,
            i.kind,
            iso_date(i.reported),
            iso_date(i.responded),
            iso_date(i.resolved),
        )


def _claims(p: Person) -> Iterable[tuple]:
    source = "landlord_guarantee_claims"
    for k, (t, c) in enumerate(p.claims):
        ids = record_id(source, p.first[source] + k), record_id("housing_tenancies", t.number)
        yield (
            *ids,
            t.lease.landlord.landlord_id,
            c.reason,
            iso_date(c.claimed),
            f"{c.amount:.2f}",
            claim_status(c, c.decided),
            iso_date(c.decided),
        )


def _survey(p: Person) -> Iterable[tuple]:
    for k, r in enumerate(p.survey):
        yield (
            record_id("tenant_survey", p.first["tenant_survey"] + k),
            r.site,
            quarter_of(r.answered),
            r.answered.isoformat(),
            r.satisfaction_housing,
            r.satisfaction_support,
            r.quality_of_life,
        )


# file -> (header, one person's rows)
PERSON_TABLES: dict[str, tuple[tuple[str, ...], Callable[[Person], Iterable[tuple]]]] = {
    "persons.csv": (("person_id", "given_name", "family_name", "birth_date", "sex", "nir", "phone", "email"), _persons),
    "programme.csv": (("person_id", "site", "referral_date", "entry_date"), _programme),
    "tenancies.csv": (("tenancy_id", "person_id", "site", "start_date", "end_date", "exit_reason"), _tenancies),
    "deaths.csv": (("person_id", "death_date", "in_hospital", "housing_recorded_date"), _deaths),
    "usage_names.csv": (("person_id", "usage_family_name"), _usage_names),
    "duplicates.csv": (("partner", "person_id"), _duplicates),
    "shelter_stays.csv": (("person_id", "first_night", "nights", "shelter", "place_type"), _shelter_stays),
    "support_contacts.csv": (("contact_id", "person_id", "contact_date", "minutes", "kind"), _support_contacts),
    "leases.csv": (
        ("tenancy_id", "person_id", "landlord_id", "landlord_type", "site", "start_date", "end_date", "converted_date"),
        _leases,
    ),
    "landlord_incidents.csv": (
        ("incident_id", "tenancy_id", "landlord_id", "kind", "reported_date", "responded_date", "resolved_date"),
        _incidents,
    ),
    "guarantee_claims.csv": (
        ("claim_id", "tenancy_id", "landlord_id", "reason", "claim_date", "amount", "status", "decision_date"),
        _claims,
    ),
    "survey_responses.csv": (
        (
            "response_id",
            "site",
            "quarter",
            "response_date",
            "satisfaction_housing",
            "satisfaction_support",
            "quality_of_life",
        ),
        _survey,
    ),
}


class TruthStreams:
    """Ground-truth CSV files open for writing row by row; close() (or the with block) ends them."""

    def __init__(self, truth_dir: Path, headers: dict[str, tuple[str, ...]]) -> None:
        truth_dir.mkdir(parents=True, exist_ok=True)
        self._stack = ExitStack()
        self.paths = [truth_dir / name for name in headers]
        self.writers = {}
        for name, header in headers.items():
            handle = self._stack.enter_context((truth_dir / name).open("w", encoding="utf-8", newline=""))
            self.writers[name] = csv.writer(handle, lineterminator="\n")
            self.writers[name].writerow(header)

    def __enter__(self) -> TruthStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


class PersonTruth(TruthStreams):
    """The person-level tables, one person at a time."""

    def __init__(self, truth_dir: Path) -> None:
        super().__init__(truth_dir, {name: header for name, (header, _) in PERSON_TABLES.items()})

    def add(self, person: Person) -> None:
        for name, (_, rows) in PERSON_TABLES.items():
            self.writers[name].writerows(rows(person))


class ExtractTruth(TruthStreams):
    """links.csv and the broken rows, told of as the extracts are written."""

    def __init__(self, truth_dir: Path) -> None:
        super().__init__(
            truth_dir,
            {
                "links.csv": ("source", "record_id", "person_id"),
                "invalid_rows.csv": ("source", "row_number", "record_id", "problem"),
                "extract_invalid_rows.csv": ("file", "row_number", "record_id", "problem"),
            },
        )
        self._landing = truth_dir.parent / "landing"

    def link(self, source: str, record_id: str, person_id: str) -> None:
        self.writers["links.csv"].writerow((source, record_id, person_id))

    def invalid(self, path: Path, snap: Snapshot, row: InvalidRow) -> None:
        if snap.final:
            self.writers["invalid_rows.csv"].writerow((row.source, row.row_number, row.record_id, row.problem))
        file = path.relative_to(self._landing).as_posix()
        self.writers["extract_invalid_rows.csv"].writerow((file, row.row_number, row.record_id, row.problem))


def _table(path: Path, header: tuple[str, ...], rows: Iterable[tuple]) -> Path:
    write_table(path, header, rows)
    return path


def write_population_truth(truth_dir: Path, sim: Simulation, written: list[WrittenExtract], period: str) -> list[Path]:
    """The truth about no one in particular, the list of extracts and meta.json; returns their paths."""
    files = [
        _table(
            truth_dir / "council_sessions.csv",
            ("session_id", "site", "session_date", "attendees", "actions_decided"),
            (
                (record_id("tenant_council", n), s.site, s.held.isoformat(), s.attendees, s.actions_decided)
                for n, s in enumerate(sessions(sim), start=1)
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
                for c in convention_lines(sim.budget, sim.as_of, sim.config.finance)
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
                for c in clauses(sim.budget, sim.as_of)
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
                    w.invalid,
                )
                for w in written
            ),
        ),
    ]
    meta = {"persons": sim.persons, "seed": sim.seed, "as_of": sim.as_of.isoformat(), "period": period}
    (truth_dir / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8", newline="")
    return [*files, truth_dir / "meta.json"]
