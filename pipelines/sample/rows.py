"""Partner rows built from the true world, before broken rows are slipped in.

Each builder returns the rows in the partner's natural order (entry or event date), numbered with
the partner's own ids, plus the true person_id behind each row for ground_truth/links.csv.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pipelines.sample.events import Contract, Encounter, JusticeEvent
from pipelines.sample.identities import Identity
from pipelines.sample.invalid import Row
from pipelines.sample.noise import PartnerView
from pipelines.sample.notes import case_note
from pipelines.sample.sources import HEADERS, SOURCES, identity_columns, record_id
from pipelines.sample.trajectories import HousingPath, Tenancy
from pipelines.sample.writers import french_date, french_decimal, iso_date

RENT_RANGE = (320.0, 650.0)
TenancyTruth = tuple[str, str, str, Tenancy]  # tenancy_id, person_id, site, tenancy


@dataclass(frozen=True)
class World:
    people: list[Identity]
    paths: list[HousingPath]
    views: dict[str, list[PartnerView]]  # partner -> view per person, aligned with people


def participant_rows(world: World, rng: random.Random, as_of: date) -> tuple[list[Row], list[str], list[str]]:
    """Rows in entry order with the partner's own ids; also ids by person index and person ids."""
    order = sorted(range(len(world.people)), key=lambda i: (world.paths[i].entry, i))
    ids = [""] * len(order)
    rows, persons = [], []
    for number, i in enumerate(order, start=1):
        ids[i] = record_id("housing_participants", number)
        path, view = world.paths[i], world.views["housing"][i]
        rows.append(
            {"id_participant": ids[i]}
            | identity_columns("housing_participants", view)
            | {
                "site": path.site,
                "date_orientation": french_date(path.referral),
                "date_entree": french_date(path.entry),
                "notes": case_note(rng, view, path.site, path.entry, as_of),
            }
        )
        persons.append(world.people[i].person_id)
    return rows, ids, persons


def tenancy_rows(
    world: World, participant_ids: list[str], rng: random.Random
) -> tuple[list[Row], list[str], list[TenancyTruth]]:
    """Tenancies in start order, the person behind each, and the clean truth behind each row."""
    source = "housing_tenancies"
    flat = [(t.start, participant_ids[i], i, t) for i, p in enumerate(world.paths) for t in p.tenancies]
    flat.sort(key=lambda item: item[:2])
    rows, persons, truth = [], [], []
    for number, (_, pid, i, tenancy) in enumerate(flat, start=1):
        site, person_id, tenancy_id = (
            world.paths[i].site,
            world.people[i].person_id,
            record_id(source, number),
        )
        rows.append(
            {
                "id_bail": tenancy_id,
                "id_participant": pid,
                "site": site,
                "date_debut": french_date(tenancy.start),
                "date_fin": french_date(tenancy.end),
                "motif_sortie": tenancy.exit_reason or "",
                "loyer_mensuel": french_decimal(round(rng.uniform(*RENT_RANGE), 2)),
            }
        )
        persons.append(person_id)
        truth.append((tenancy_id, person_id, site, tenancy))
    return rows, persons, truth


def event_rows(
    world: World,
    source: str,
    events: list[list],
    render: Callable[[str, object], Row],
) -> tuple[list[Row], list[str]]:
    """Rows of one event source sorted by date, each carrying the partner's view of the person."""
    partner = SOURCES[source][0]
    flat = [(_event_start(e), i, e) for i, person_events in enumerate(events) for e in person_events]
    flat.sort(key=lambda item: item[:2])
    rows, persons = [], []
    for number, (_, i, event) in enumerate(flat, start=1):
        rows.append(render(record_id(source, number), event) | identity_columns(source, world.views[partner][i]))
        persons.append(world.people[i].person_id)
    # restore the header's column order for readers and diffs
    return [{c: row[c] for c in HEADERS[source]} for row in rows], persons


def _event_start(event: Encounter | JusticeEvent | Contract) -> date:
    return event.admission if isinstance(event, Encounter) else event.start


def render_encounter(record_id: str, e: Encounter) -> Row:
    return {
        "encounter_id": record_id,
        "encounter_type": e.encounter_type,
        "service": e.service,
        "admission_date": iso_date(e.admission),
        "discharge_date": iso_date(e.discharge),
    }


def render_contract(record_id: str, c: Contract) -> Row:
    return {
        "contract_id": record_id,
        "contract_type": c.contract_type,
        "start_date": iso_date(c.start),
        "end_date": iso_date(c.end),
        "hours_per_week": f"{c.hours:g}",
    }


def render_justice(record_id: str, e: JusticeEvent) -> Row:
    return {
        "event_id": record_id,
        "event_type": e.event_type,
        "start_date": e.start.isoformat(),
        "end_date": e.end.isoformat() if e.end else None,
    }
