"""Rows of the person-level partner files, as each partner holds them at a snapshot date.

Every builder returns an Extract: a way to stream the valid rows in the partner's order (with the true
person behind each, for ground_truth/links.csv), and how to number broken rows so that they never take
an id a valid record has in any snapshot.
"""

from __future__ import annotations

import bisect
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.events import Contract, Encounter, JusticeEvent
from pipelines.sample.invalid import Row
from pipelines.sample.notes import case_note
from pipelines.sample.order import DateOrder
from pipelines.sample.sources import HEADERS, SOURCES, identity_columns, record_id
from pipelines.sample.support import KINDS, contact_number
from pipelines.sample.world import World, stream
from pipelines.sample.writers import french_date, french_decimal, iso_date

LATE_DAYS = 31  # a late record reaches the partner's system about a month after the fact

RowsWithPersons = Iterator[tuple[Row, str | None]]


@dataclass(frozen=True)
class Snapshot:
    """What a partner's system holds at the end of a month."""

    cut: date
    final: bool  # the last month is complete: nothing is still late in it
    late_share: float

    def sees(self, source: str, number: int, day: date) -> bool:
        """Whether a record dated `day` is in the extract; a few records are keyed in a month late."""
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


def participants(world: World, snap: Snapshot) -> Extract:
    source = "housing_participants"
    order = sorted(range(len(world.people)), key=world.participant_numbers.__getitem__)
    shown = [i for i in order if world.paths[i].entry <= snap.cut]

    def rows() -> RowsWithPersons:
        rng = stream(world.seed, f"notes:{snap.cut}")
        for i in shown:
            path, view = world.paths[i], world.views["housing"][i]
            row = {"id_participant": record_id(source, world.participant_numbers[i])}
            row |= identity_columns(source, view)
            row |= {
                "site": path.site,
                "date_orientation": french_date(path.referral),
                "date_entree": french_date(path.entry),
                "notes": case_note(rng, view, path.site, path.entry, snap.cut),
            }
            yield row, world.people[i].person_id

    return Extract(rows, numbered_after(source, len(world.people)), len(shown))


def tenancies(world: World, snap: Snapshot) -> Extract:
    source = "housing_tenancies"
    shown = [t for t in world.tenancies if t.tenancy.start <= snap.cut]

    def rows() -> RowsWithPersons:
        for record in shown:
            end = snap.known(record.tenancy.end)
            yield (
                {
                    "id_bail": record_id(source, record.number),
                    "id_participant": record_id("housing_participants", world.participant_numbers[record.person]),
                    "site": world.paths[record.person].site,
                    "date_debut": french_date(record.tenancy.start),
                    "date_fin": french_date(end),
                    "motif_sortie": (record.tenancy.exit_reason or "") if end else "",
                    "loyer_mensuel": french_decimal(record.rent),
                },
                world.people[record.person].person_id,
            )

    return Extract(rows, numbered_after(source, len(world.tenancies)), len(shown))


def support(world: World, snap: Snapshot) -> Extract:
    """Contacts grouped by participant, in date order."""
    source = "housing_support_contacts"
    order = sorted(range(len(world.people)), key=world.participant_numbers.__getitem__)

    def shown() -> Iterator[tuple[int, Sequence[int]]]:
        """Per participant, the ranks (from 0) of the contacts the extract holds."""
        cut = snap.cut.toordinal()
        for i in order:
            participant = world.participant_numbers[i]
            days = world.support[i].days
            ranks: Sequence[int] = range(bisect.bisect_right(days, cut))  # the days are in order
            if not snap.final:
                ranks = [
                    k for k in ranks if snap.sees(source, contact_number(participant, k + 1), date.fromordinal(days[k]))
                ]
            if ranks:
                yield i, ranks

    def rows() -> RowsWithPersons:
        for i, ranks in shown():
            log, person = world.support[i], world.people[i].person_id
            participant = world.participant_numbers[i]
            first_id = record_id("housing_participants", participant)
            for k in ranks:
                row = {
                    "id_contact": record_id(source, contact_number(participant, k + 1)),
                    "id_participant": first_id,
                    "date_contact": french_date(date.fromordinal(log.days[k])),
                    "duree_minutes": str(log.minutes[k]),
                    "type_contact": KINDS[log.kinds[k]],
                }
                yield row, person

    return Extract(rows, numbered_after(source, 0), sum(len(ranks) for _, ranks in shown()))  # numbers 1..9999 are free


def _events(
    world: World,
    snap: Snapshot,
    source: str,
    per_person: list[list],
    dated: Callable[[object], date],
    render: Callable[[object, Snapshot], Row],
    seen_on: Callable[[object], date] | None = None,
) -> Extract:
    """Rows of an event source in date order, each under the partner's record of the person;
    an event is in the extract from its `seen_on` day (its date unless said otherwise)."""
    partner = SOURCES[source][0]
    seen_on = seen_on or dated
    flat = DateOrder(per_person, dated)

    def shown() -> Iterator[tuple[int, int, int]]:
        for number, (i, k) in enumerate(flat, start=1):
            if snap.sees(source, number, seen_on(per_person[i][k])):
                yield number, i, k

    def rows() -> RowsWithPersons:
        for number, i, k in shown():
            row = {HEADERS[source][0]: record_id(source, number)} | render(per_person[i][k], snap)
            row |= identity_columns(source, world.view(partner, i, k, len(per_person[i])))
            yield {c: row[c] for c in HEADERS[source]}, world.people[i].person_id

    return Extract(rows, numbered_after(source, len(flat)), sum(1 for _ in shown()))


def _encounter(e: Encounter, snap: Snapshot) -> Row:
    return {
        "encounter_type": e.encounter_type,
        "service": e.service,
        "admission_date": iso_date(e.admission),
        "discharge_date": iso_date(e.discharge),
    }


def _contract(c: Contract, snap: Snapshot) -> Row:
    return {
        "contract_type": c.contract_type,
        "start_date": iso_date(c.start),
        "end_date": iso_date(snap.known(c.end)),
        "hours_per_week": f"{c.hours:g}",
    }


def _justice(e: JusticeEvent, snap: Snapshot) -> Row:
    end = snap.known(e.end)
    return {"event_type": e.event_type, "start_date": e.start.isoformat(), "end_date": end.isoformat() if end else None}


def health(world: World, snap: Snapshot) -> Extract:
    # hospital extracts hold completed stays only: a stay appears once discharged
    return _events(
        world, snap, "health_encounters", world.health, lambda e: e.admission, _encounter, lambda e: e.discharge
    )


def employment(world: World, snap: Snapshot) -> Extract:
    return _events(world, snap, "employment_contracts", world.work, lambda c: c.start, _contract)


def justice(world: World, snap: Snapshot) -> Extract:
    return _events(world, snap, "justice_events", world.justice, lambda e: e.start, _justice)


def shelter(world: World, snap: Snapshot) -> Extract:
    """One row per night, stays in order of their first night; a person's later stays may sit under a
    duplicate record."""
    source = "shelter_nights"
    flat = DateOrder(world.shelter, lambda stay: stay.first_night)

    def shown() -> Iterator[tuple[int, int, list[tuple[int, date]]]]:
        """Per stay, the (number, night) pairs the extract holds: nights are most rows of the whole sample."""
        number = 0
        for i, k in flat:
            nights = world.shelter[i][k].night_dates()
            numbered = enumerate(nights, start=number + 1)
            seen = [(n, night) for n, night in numbered if snap.sees(source, n, night)]
            number += len(nights)
            if seen:
                yield i, k, seen

    def rows() -> RowsWithPersons:
        for i, k, seen in shown():
            stay, person = world.shelter[i][k], world.people[i].person_id
            # the stay's identity and place are the same every night: built once, copied per row
            identity = identity_columns(source, world.view("shelter", i, k, len(world.shelter[i])))
            place = {"structure": stay.shelter, "type_place": stay.place_type}
            for number, night in seen:
                row = {"id_nuitee": record_id(source, number), **identity, "date_nuitee": french_date(night), **place}
                yield row, person

    nights = sum(stay.nights for stays in world.shelter for stay in stays)
    return Extract(rows, numbered_after(source, nights), sum(len(seen) for _, _, seen in shown()))
