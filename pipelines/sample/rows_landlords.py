"""Rows of the landlords' files: leases, incidents and guarantee-fund claims, each naming the housing
operator's tenancy id (which links it to the tenant) and the landlord's own id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from pipelines.sample.invalid import Row
from pipelines.sample.landlords import Claim, Incident
from pipelines.sample.rows import Snapshot
from pipelines.sample.sources import HEADERS, record_id
from pipelines.sample.world import Person, TenancyRecord
from pipelines.sample.writers import iso_date


def _tenancy_columns(record: TenancyRecord) -> dict[str, str]:
    return {"id_bail": record_id("housing_tenancies", record.number), "id_bailleur": record.lease.landlord.landlord_id}


def leases(person: Person, snap: Snapshot) -> Iterator[Row]:
    source = "landlord_leases"
    for record in person.tenancies:
        if snap.sees(source, record.number, record.tenancy.start):
            row = {"id_contrat": record_id(source, record.number)} | _tenancy_columns(record)
            yield row | {
                "type_bailleur": record.lease.landlord.kind,
                "site": record.lease.landlord.site,
                "date_prise_effet": iso_date(record.tenancy.start),
                "date_glissement": iso_date(snap.known(record.lease.converted)),
            }


def _per_tenancy(
    person: Person,
    snap: Snapshot,
    source: str,
    items: list[tuple[TenancyRecord, Any]],
    dated: Callable[[Any], date],
    render: Callable[[Any, Snapshot], dict[str, str]],
) -> Iterator[Row]:
    """The person's rows of one kind of landlord event across their tenancies."""
    first = person.first[source]
    for k, (record, item) in enumerate(items):
        if snap.sees(source, first + k, dated(item)):
            row = {HEADERS[source][0]: record_id(source, first + k)} | _tenancy_columns(record)
            yield row | render(item, snap)


def _incident(incident: Incident, snap: Snapshot) -> dict[str, str]:
    return {
        "type_incident": incident.kind,
        "date_signalement": iso_date(incident.reported),
        "date_premiere_reponse": iso_date(snap.known(incident.responded)),
        "date_resolution": iso_date(snap.known(incident.resolved)),
    }


def claim_status(claim: Claim, decided: date | None) -> str:
    return "en_cours" if decided is None else "refusee" if claim.refused else "payee"


def _claim(claim: Claim, snap: Snapshot) -> dict[str, str]:
    decided = snap.known(claim.decided)
    return {
        "motif": claim.reason,
        "date_demande": iso_date(claim.claimed),
        "montant": f"{claim.amount:.2f}",
        "statut": claim_status(claim, decided),
        "date_decision": iso_date(decided),
    }


def incidents(person: Person, snap: Snapshot) -> Iterator[Row]:
    return _per_tenancy(person, snap, "landlord_incidents", person.incidents, lambda i: i.reported, _incident)


def claims(person: Person, snap: Snapshot) -> Iterator[Row]:
    return _per_tenancy(person, snap, "landlord_guarantee_claims", person.claims, lambda c: c.claimed, _claim)
