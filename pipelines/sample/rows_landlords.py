"""Rows of the landlords' files: leases, incidents and guarantee-fund claims, each naming the housing
operator's tenancy id (which links it to the tenant) and the landlord's own id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pipelines.sample.landlords import Claim, Incident
from pipelines.sample.rows import Extract, RowsWithPersons, Snapshot, numbered_after
from pipelines.sample.sources import HEADERS, record_id
from pipelines.sample.world import TenancyRecord, World
from pipelines.sample.writers import iso_date


def _tenancy_columns(world: World, record: TenancyRecord) -> dict[str, str]:
    return {"id_bail": record_id("housing_tenancies", record.number), "id_bailleur": record.lease.landlord.landlord_id}


def leases(world: World, snap: Snapshot) -> Extract:
    source = "landlord_leases"
    shown = [t for t in world.tenancies if snap.sees(source, t.number, t.tenancy.start)]

    def rows() -> RowsWithPersons:
        for record in shown:
            row = {"id_contrat": record_id(source, record.number)} | _tenancy_columns(world, record)
            row |= {
                "type_bailleur": record.lease.landlord.kind,
                "site": record.lease.landlord.site,
                "date_prise_effet": iso_date(record.tenancy.start),
                "date_glissement": iso_date(snap.known(record.lease.converted)),
            }
            yield row, world.people[record.person].person_id

    return Extract(rows, numbered_after(source, len(world.tenancies)), len(shown))


def _per_tenancy(
    world: World,
    snap: Snapshot,
    source: str,
    items: list[tuple[TenancyRecord, Any]],
    dated: Callable[[Any], date],
    render: Callable[[Any, Snapshot], dict[str, str]],
) -> Extract:
    """Rows of one kind of landlord event across tenancies, numbered as in the world."""
    shown = [(n, t, item) for n, (t, item) in enumerate(items, start=1) if snap.sees(source, n, dated(item))]

    def rows() -> RowsWithPersons:
        for number, record, item in shown:
            row = {HEADERS[source][0]: record_id(source, number)} | _tenancy_columns(world, record)
            yield row | render(item, snap), world.people[record.person].person_id

    return Extract(rows, numbered_after(source, len(items)), len(shown))


def _incident(incident: Incident, snap: Snapshot) -> dict[str, str]:
    return {
        "type_incident": incident.kind,
        "date_signalement": iso_date(incident.reported),
        "date_resolution": iso_date(snap.known(incident.resolved)),
    }


def _claim(claim: Claim, snap: Snapshot) -> dict[str, str]:
    decided = snap.known(claim.decided)
    status = "en_cours" if decided is None else "refusee" if claim.refused else "payee"
    return {
        "motif": claim.reason,
        "date_demande": iso_date(claim.claimed),
        "montant": f"{claim.amount:.2f}",
        "statut": status,
        "date_decision": iso_date(decided),
    }


def incidents(world: World, snap: Snapshot) -> Extract:
    return _per_tenancy(world, snap, "landlord_incidents", world.incidents, lambda i: i.reported, _incident)


def claims(world: World, snap: Snapshot) -> Extract:
    return _per_tenancy(world, snap, "landlord_guarantee_claims", world.claims, lambda c: c.claimed, _claim)
