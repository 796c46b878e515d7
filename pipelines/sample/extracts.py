"""Writing partner extracts: one file per source and month, broken rows slipped in, links recorded."""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines.sample import fhir, rows, rows_anonymous, rows_landlords
from pipelines.sample.config import SampleConfig
from pipelines.sample.hmis import export_path, write_hmis_export
from pipelines.sample.identities import Identity
from pipelines.sample.invalid import InvalidRow, Row, inject
from pipelines.sample.noise import partner_view
from pipelines.sample.notes import case_note
from pipelines.sample.rows import Extract, Snapshot
from pipelines.sample.sources import HEADERS, IDENTITY_SOURCES, SOURCES, SPECS, STYLES, identity_columns, landing_file
from pipelines.sample.world import Person, Simulation
from pipelines.sample.writers import write_file

# source -> one person's rows at a snapshot, for the files made of person after person (spooled)
PERSON_ROWS: dict[str, Callable[[Person, Snapshot], Iterable[Row]]] = {
    "housing_participants": rows.participants,
    "housing_tenancies": rows.tenancies,
    "health_encounters": rows.health,
    "employment_contracts": rows.employment,
    "justice_events": rows.justice,
    "shelter_nights": rows.shelter,
    "housing_support_contacts": rows.support,
    "landlord_leases": rows_landlords.leases,
    "landlord_incidents": rows_landlords.incidents,
    "landlord_guarantee_claims": rows_landlords.claims,
    "tenant_survey": rows_anonymous.survey,
}
# Person-level rows that name no one: the survey is anonymous, so links.csv does not list its answers.
# Each is written in order of its date column, not person by person: one respondent's answers of several
# quarters side by side in the file would tie them together.
ANONYMOUS_ROWS = {"tenant_survey": "date_reponse"}
# source -> the whole file at a snapshot, built from the population's totals once every person is simulated
POPULATION_EXTRACTS: dict[str, Callable[[Simulation, Snapshot], Extract]] = {
    "tenant_council": rows_anonymous.council,
    "finance_funders": rows_anonymous.funders,
    "finance_conventions": rows_anonymous.conventions,
    "finance_pfp_clauses": rows_anonymous.pfp_clauses,
}


# Sources a HUD HMIS CSV export carries when the housing operator sends one (config formats.housing: hmis).
# Participants and tenancies are whole in every export, the support contacts (Services.csv) the month's only.
HMIS_SOURCES = ("housing_participants", "housing_tenancies", "housing_support_contacts")

Links = Callable[[str, str, str], None]  # (source, record id, person id) of a valid person row


def _linked(links: Links, source: str, id_column: str, row: Row, person: str | None) -> Row:
    """Tell `links` of a valid person row on its way to the file."""
    if person is not None:
        links(source, row[id_column], person)
    return row


@dataclass(frozen=True)
class WrittenExtract:
    path: Path
    source: str
    period: str
    kind: str  # regular | superseded (first send of a corrected month) | correction
    snapshot: str  # ISO date the extract is as of (the month end)
    rows: int  # data rows, broken ones included
    invalid: int  # of which broken ones
    beside: tuple[Path, ...] = ()  # files sent with it: a FHIR export's Patient file


@dataclass
class ExtractWriter:
    """Writes extracts one after the other; broken rows draw on one stream, so the run is deterministic.
    `on_invalid(path, snap, row)` is told of every broken row as it is written."""

    out_dir: Path
    config: SampleConfig
    rng: random.Random
    fakes: Iterator[Identity]
    on_invalid: Callable[[Path, Snapshot, InvalidRow], None]
    written: list[WrittenExtract] = field(default_factory=list)
    _hmis_waiting: dict[str, tuple[Extract, Links | None]] = field(default_factory=dict)

    def _disguise(self, source: str, snap_cut: date) -> Callable[[Row], Row]:
        partner = SOURCES[source][0]

        def disguise(row: Row) -> Row:
            if source not in IDENTITY_SOURCES:
                return row
            view = partner_view(self.rng, next(self.fakes), partner, self.config.identity)
            row.update(identity_columns(source, view))
            if source == "housing_participants":
                site, entry = row["site"], row["date_entree"]  # still the valid template's date here
                dd, mm, yyyy = entry.split("/")
                row["notes"] = case_note(self.rng, view, site, date(int(yyyy), int(mm), int(dd)), snap_cut)
            return row

        return disguise

    def write(
        self,
        source: str,
        snap: Snapshot,
        extract: Extract,
        links: Links | None,
        kind: str = "regular",
        dropped_share: float = 0.0,
    ) -> None:
        """One file; `links(source, record_id, person_id)` is told of every valid person row.
        A first send of a corrected month leaves out `dropped_share` of the rows."""
        if source in HMIS_SOURCES and self.config.formats.housing == "hmis":
            if kind != "superseded":  # an export is a full refresh: a corrected month is sent once, whole
                self._write_hmis(source, snap, extract, links)
            return
        if source == "health_encounters" and self.config.formats.health == "fhir":
            if kind != "superseded":  # a bulk export is run again whole: a corrected month is sent once
                self._write_fhir(snap, extract, links)
            return
        spec = SPECS[source]

        def kept() -> Iterator[tuple[Row, str | None]]:
            if not dropped_share:
                return extract.rows()  # the common case: no filtering layer between millions of rows
            bound = dropped_share * 10_000
            return ((r, p) for r, p in extract.rows() if zlib.crc32(r[spec.id_column].encode()) % 10_000 >= bound)

        count = sum(1 for _ in kept()) if dropped_share else extract.count
        if count == 0:
            return  # a partner with nothing to report sends no file

        def valid() -> Iterator[Row]:
            if links is None:
                return (row for row, _ in kept())
            return (_linked(links, source, spec.id_column, row, person) for row, person in kept())

        period = f"{snap.cut.year:04d}-{snap.cut.month:02d}"
        path = landing_file(self.out_dir, source, period, "corrige" if kind == "correction" else "")
        invalid = 0

        def report(row: InvalidRow) -> None:
            nonlocal invalid
            invalid += 1
            self.on_invalid(path, snap, row)

        merged = inject(
            self.rng,
            source,
            spec,
            valid(),
            count,
            self.config.invalid,
            extract.broken_id,
            self._disguise(source, snap.cut),
            report,
        )
        write_file(path, STYLES[source], HEADERS[source], merged)
        self.written.append(WrittenExtract(path, source, period, kind, snap.cut.isoformat(), count + invalid, invalid))

    def _write_fhir(self, snap: Snapshot, extract: Extract, links: Links | None) -> None:
        """The hospital's month as a FHIR bulk export of the same valid rows, under the same encounter ids."""
        if extract.count == 0:
            return  # a partner with nothing to report sends no file
        period = f"{snap.cut.year:04d}-{snap.cut.month:02d}"
        path = fhir.export_path(self.out_dir, period)

        def link(record_id: str, person: str) -> None:
            if links is not None:
                links("health_encounters", record_id, person)

        count = fhir.write_fhir_export(path, extract.rows(), link)
        beside = (fhir.patient_path(path),)
        written = WrittenExtract(path, "health_encounters", period, "regular", snap.cut.isoformat(), count, 0, beside)
        self.written.append(written)

    def _write_hmis(self, source: str, snap: Snapshot, extract: Extract, links: Links | None) -> None:
        """One export holds participants, tenancies and support contacts: it is written with the last of them
        (SOURCES order), the others waiting. Each source's rows are linked when its own `links` says so: the
        support contacts are an append source's, linked every month, the others only in the last."""
        self._hmis_waiting[source] = (extract, links)
        if source != HMIS_SOURCES[-1]:
            return
        waiting, self._hmis_waiting = self._hmis_waiting, {}

        def link(name: str, record_id: str, person: str) -> None:
            if (told := waiting[name][1]) is not None:
                told(name, record_id, person)

        participants, tenancies = (waiting[name][0] for name in HMIS_SOURCES[:2])
        period = f"{snap.cut.year:04d}-{snap.cut.month:02d}"
        path = export_path(self.out_dir, period)
        version = self.config.formats.hmis_version
        counts = write_hmis_export(path, version, snap.cut, participants, tenancies, link, extract)
        for name, count in zip(HMIS_SOURCES, (counts.participants, counts.tenancies, counts.contacts), strict=True):
            self.written.append(WrittenExtract(path, name, period, "regular", snap.cut.isoformat(), count, 0))
