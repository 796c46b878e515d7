"""Rows of the person-level partner files: one person's rows in a file, as the partner holds them at a
snapshot date (for a source sent as monthly additions, those it did not hold a month before). The files are
these rows person after person (see spool.py)."""

from __future__ import annotations

import bisect
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.events import Contract, Encounter, JusticeEvent
from pipelines.sample.invalid import Row
from pipelines.sample.notes import case_note
from pipelines.sample.sources import APPEND_SOURCES, HEADERS, SOURCES, identity_columns, record_id
from pipelines.sample.support import KINDS, contact_number
from pipelines.sample.world import Person
from pipelines.sample.writers import french_date, french_decimal, iso_date

LATE_DAYS = 31  # a late record reaches the partner's system about a month after the fact

RowsWithPersons = Iterator[tuple[Row, str | None]]


@dataclass(frozen=True)
class Snapshot:
    """What a partner's system holds at the end of a month."""

    cut: date
    final: bool  # the last month is complete: nothing is still late in it
    late_share: float
    duplicate_share: float  # of a duplicated person's rows, the later ones filed under the second record
    notes: random.Random  # the case notes are written afresh at every snapshot
    previous: Snapshot | None  # the month before's: an append source's extract leaves out what it held

    def sees(self, source: str, number: int, day: date) -> bool:
        """Whether a record dated `day` is in the extract: held now and, for an append source, not held the
        month before (its extract was sent then)."""
        if not self.holds(source, number, day):
            return False
        return source not in APPEND_SOURCES or self.previous is None or not self.previous.holds(source, number, day)

    def holds(self, source: str, number: int, day: date) -> bool:
        """Whether the partner's system holds a record dated `day`; a few records are keyed in a month late."""
        if day > self.cut:
            return False
        if self.final or zlib.crc32(f"{source}:{number}".encode()) % 10_000 >= self.late_share * 10_000:
            return True
        return day + timedelta(days=LATE_DAYS) <= self.cut

    def known(self, day: date | None) -> date | None:
        """An end date the partner cannot know yet is empty."""
        return day if day is not None and day <= self.cut else None


@dataclass(frozen=True)
class Extract:
    rows: Callable[[], RowsWithPersons]  # valid rows in file order; callable again for a second pass
    broken_id: Callable[[int], str]  # id of the n-th broken row
    count: int  # valid rows, known before they are streamed so broken rows can be placed


def numbered_after(source: str, used: int) -> Callable[[int], str]:
    """Broken rows continue the partner's numbering after every number the world uses."""
    return lambda n: record_id(source, used + n)


def participants(person: Person, snap: Snapshot) -> Iterator[Row]:
    path, view = person.path, person.views["housing"]
    if path.entry <= snap.cut:
        row = {"id_participant": record_id("housing_participants", person.number)}
        row |= identity_columns("housing_participants", view)
        row |= {
            "site": path.site,
            "date_orientation": french_date(path.referral),
            "date_entree": french_date(path.entry),
            "notes": case_note(snap.notes, view, path.site, path.entry, snap.cut),
        }
        yield row


def tenancies(person: Person, snap: Snapshot) -> Iterator[Row]:
    participant = record_id("housing_participants", person.number)
    for record in person.tenancies:
        if record.tenancy.start > snap.cut:
            return
        end = snap.known(record.tenancy.end)
        yield {
            "id_bail": record_id("housing_tenancies", record.number),
            "id_participant": participant,
            "site": person.path.site,
            "date_debut": french_date(record.tenancy.start),
            "date_fin": french_date(end),
            "motif_sortie": (record.tenancy.exit_reason or "") if end else "",
            "loyer_mensuel": french_decimal(record.rent),
        }


def support(person: Person, snap: Snapshot) -> Iterator[Row]:
    """The person's contacts in date order."""
    source, log = "housing_support_contacts", person.support
    participant = record_id("housing_participants", person.number)
    for k in range(bisect.bisect_right(log.days, snap.cut.toordinal())):  # the days are in order
        number, day = contact_number(person.number, k + 1), date.fromordinal(log.days[k])
        if snap.sees(source, number, day):
            yield {
                "id_contact": record_id(source, number),
                "id_participant": participant,
                "date_contact": french_date(day),
                "duree_minutes": str(log.minutes[k]),
                "type_contact": KINDS[log.kinds[k]],
            }


def _events(
    person: Person,
    snap: Snapshot,
    source: str,
    events: list,
    render: Callable[[object, Snapshot], Row],
    seen_on: Callable[[object], date],
) -> Iterator[Row]:
    """The person's rows of an event source, each under the partner's record of the person;
    an event is in the extract from its `seen_on` day."""
    partner, first = SOURCES[source][0], person.first[source]
    for k, event in enumerate(events):
        if snap.sees(source, first + k, seen_on(event)):
            row = {HEADERS[source][0]: record_id(source, first + k)} | render(event, snap)
            yield row | identity_columns(source, person.view(partner, k, len(events), snap.duplicate_share))


def _encounter(e: Encounter, snap: Snapshot) -> Row:
    return {
        "encounter_type": e.encounter_type,
        "service": e.service,
        "admission_date": iso_date(e.admission),
        "discharge_date": iso_date(e.discharge),
        "discharge_mode": e.discharge_mode,
    }


def _contract(c: Contract, snap: Snapshot) -> Row:
    return {
        "contract_type": c.contract_type,
        "start_date": iso_date(c.start),
        "end_date": iso_date(snap.known(c.end)),
        "hours_per_week": f"{c.hours:g}",
        "monthly_gross_pay": "" if c.monthly_pay is None else f"{c.monthly_pay:.2f}",
    }


def _justice(e: JusticeEvent, snap: Snapshot) -> Row:
    end = snap.known(e.end)
    return {"event_type": e.event_type, "start_date": e.start.isoformat(), "end_date": end.isoformat() if end else None}


def health(person: Person, snap: Snapshot) -> Iterator[Row]:
    # hospital extracts hold completed stays only: a stay appears once discharged
    return _events(person, snap, "health_encounters", person.health, _encounter, lambda e: e.discharge)


def employment(person: Person, snap: Snapshot) -> Iterator[Row]:
    return _events(person, snap, "employment_contracts", person.work, _contract, lambda c: c.start)


def justice(person: Person, snap: Snapshot) -> Iterator[Row]:
    return _events(person, snap, "justice_events", person.justice, _justice, lambda e: e.start)


def shelter(person: Person, snap: Snapshot) -> Iterator[Row]:
    """One row per night, stays in order of their first night; later stays may sit under a duplicate record."""
    source, number = "shelter_nights", person.first["shelter_nights"]
    for k, stay in enumerate(person.shelter):
        # the stay's identity and place are the same every night: built once, copied per row
        view = person.view("shelter", k, len(person.shelter), snap.duplicate_share)
        identity = identity_columns(source, view)
        place = {"structure": stay.shelter, "type_place": stay.place_type}
        for night in stay.night_dates():
            if snap.sees(source, number, night):
                yield {"id_nuitee": record_id(source, number), **identity, "date_nuitee": french_date(night), **place}
            number += 1
