"""Support visits by the housing team and peer-support contacts, while the person holds a tenancy.

They are by far the most numerous records, so each person's contacts are kept in compact arrays
(a few bytes per contact) rather than as objects.
"""

from __future__ import annotations

import itertools
import random
from array import array
from dataclasses import dataclass
from datetime import date

from pipelines.sample.config import SupportRates
from pipelines.sample.trajectories import DAYS_PER_MONTH, HousingPath

PEER_KIND = "pair_aidance"
KINDS = ("visite_domicile", "entretien", "accompagnement", PEER_KIND)
IDS_PER_PERSON = 10_000  # a contact's number is the participant's number * 10_000 + its rank


@dataclass(frozen=True, slots=True)
class SupportLog:
    """One person's contacts in date order: day ordinals, indexes into KINDS, minutes."""

    days: array
    kinds: bytes
    minutes: array


def _days(rng: random.Random, start: date, end: date, per_month: float) -> list[int]:
    """Poisson day ordinals in [start, end] at `per_month`."""
    days, t, span, first = [], 0.0, (end - start).days + 1, start.toordinal()
    daily = per_month / DAYS_PER_MONTH
    while daily > 0:
        t += rng.expovariate(daily)
        if t >= span:
            return days
        days.append(first + int(t))
    return days


def support_log(rng: random.Random, path: HousingPath, as_of: date, rates: SupportRates) -> SupportLog:
    """Contacts from entry to the end of the last tenancy; some tenants also meet a peer worker."""
    kinds = tuple(KINDS.index(k) for k in rates.kind_weights)
    # cumulative once per person rather than by choices() on every contact (the same draws either way)
    weights = list(itertools.accumulate(rates.kind_weights.values()))
    meets_peer = rng.random() < rates.peer_share
    end = path.tenancies[-1].end or as_of
    visits = _days(rng, path.entry, end, rates.visits_per_month)
    contacts = [(day, rng.choices(kinds, cum_weights=weights)[0]) for day in visits]
    if meets_peer:
        peer = KINDS.index(PEER_KIND)
        contacts += [(day, peer) for day in _days(rng, path.entry, end, rates.peer_contacts_per_month)]
    contacts.sort()
    minutes = [rng.randint(*rates.minutes[KINDS[kind]]) for _, kind in contacts]
    return SupportLog(array("i", (d for d, _ in contacts)), bytes(k for _, k in contacts), array("H", minutes))


def contact_number(participant_number: int, rank: int) -> int:
    return participant_number * IDS_PER_PERSON + rank
