"""Landlords of programme tenancies: who owns each flat, when a sublet became a direct lease, the
incidents they report and the claims they make on the guarantee fund.

A landlord is an organisation; its id is no personal data. Every tenancy starts as a sublet by the
housing operator (bail glissant) and may be converted to a lease in the tenant's own name.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.config import LandlordRates
from pipelines.sample.events import DAYS_PER_YEAR
from pipelines.sample.trajectories import Tenancy

SITE_CODES = {"Lyon": "LYO", "Marseille": "MRS", "Lille": "LIL", "Saint-Étienne": "STE"}
CLAIM_REASONS = frozenset({"impaye", "degradation"})


@dataclass(frozen=True, slots=True)
class Landlord:
    landlord_id: str
    kind: str  # bailleur_social | prive | association
    site: str


@dataclass(frozen=True, slots=True)
class Incident:
    kind: str
    reported: date
    responded: date | None  # first response: the landlord or the housing team acknowledging it and acting
    resolved: date | None


@dataclass(frozen=True, slots=True)
class Claim:
    reason: str  # impaye | degradation
    claimed: date
    amount: float
    refused: bool
    decided: date | None


@dataclass(frozen=True, slots=True)
class Lease:
    landlord: Landlord
    converted: date | None  # sublet turned into a direct lease
    incidents: tuple[Incident, ...]
    claims: tuple[Claim, ...]


def landlords(rng: random.Random, rates: LandlordRates) -> dict[str, list[Landlord]]:
    kinds, weights = tuple(rates.type_weights), tuple(rates.type_weights.values())
    return {
        site: [
            Landlord(f"BL-{SITE_CODES[site]}-{n:03d}", rng.choices(kinds, weights)[0], site)
            for n in range(1, count + 1)
        ]
        for site, count in rates.per_site.items()
    }


def _poisson_days(rng: random.Random, start: date, end: date, per_year: float) -> list[date]:
    days, t, span = [], 0.0, (end - start).days + 1
    while per_year > 0:
        t += rng.expovariate(per_year / DAYS_PER_YEAR)
        if t >= span:
            return days
        days.append(start + timedelta(days=int(t)))
    return days


def lease(
    rng: random.Random,
    responses: random.Random,
    tenancy: Tenancy,
    pool: list[Landlord],
    as_of: date,
    rates: LandlordRates,
) -> Lease:
    """The landlord side of one tenancy, observed until its end or the extract date. Response delays come from
    a stream of their own (`responses`), so drawing them moves none of the other landlord draws."""
    # a move within the programme usually stays with a partner landlord the operator already knows
    landlord = pool[min(int(rng.expovariate(3 / len(pool))), len(pool) - 1)]
    end = tenancy.end or as_of
    converted = None
    if rates.conversions_per_year > 0:
        day = tenancy.start + timedelta(days=math.ceil(rng.expovariate(rates.conversions_per_year / DAYS_PER_YEAR)))
        converted = day if day <= end else None
    kinds, weights = tuple(rates.incident_weights), tuple(rates.incident_weights.values())
    incidents, claims = [], []
    for day in _poisson_days(rng, tenancy.start, end, rates.incidents_per_tenancy_year):
        kind = rng.choices(kinds, weights)[0]
        resolved = day + timedelta(days=math.ceil(rng.expovariate(1 / rates.resolution_days_mean)))
        # rounded, not ceiled: a same-day answer is common; resolving an incident answers it at the latest
        delay = round(responses.expovariate(1 / rates.response_days_mean))
        responded = min(day + timedelta(days=delay), resolved)
        known = (d if d <= as_of else None for d in (responded, resolved))
        incidents.append(Incident(kind, day, *known))
        if kind not in CLAIM_REASONS or rng.random() >= rates.claim_share:
            continue
        claimed = day + timedelta(days=rng.randint(*rates.claim_delay_days))
        if claimed > as_of:
            continue
        decided = claimed + timedelta(days=rng.randint(*rates.claim_payment_days))
        amount = round(rng.uniform(*rates.claim_amount), 2)
        refused = rng.random() < rates.claim_refused_share
        claims.append(Claim(kind, claimed, amount, refused, decided if decided <= as_of else None))
    return Lease(landlord, converted, tuple(incidents), tuple(claims))
