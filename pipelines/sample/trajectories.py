"""Housing paths in the programme: site, referral, entry and the chain of tenancies until exit."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

SITES = ("Lyon", "Marseille", "Lille", "Saint-Étienne")
SITE_WEIGHTS = (35, 30, 20, 15)
PROGRAMME_START = date(2019, 1, 1)
# Everybody has at least this much follow-up, so nobody enters on the extract date.
MIN_FOLLOW_UP_DAYS = 30
REFERRAL_LEAD_DAYS = (10, 240)
DAYS_PER_MONTH = 365.25 / 12

# Monthly probability of a tenancy ending, by reason (competing risks, constant over time).
# The non-success exits sum to 1.35 %/month and "logement_autonome" competes with them at 0.5 %,
# which retains about 85 % of people at 12 months: 1 - 0.0135/0.0185 * (1 - 0.9815**12) = 0.853.
MONTHLY_EXIT_HAZARD = {
    "demenagement": 0.008,  # move to another programme tenancy, same site, same day
    "logement_autonome": 0.005,  # moved on to other permanent housing: a success
    "rue": 0.004,
    "hebergement": 0.004,
    "prison": 0.0025,
    "hopital": 0.0015,
    "deces": 0.0015,
}
SUCCESS_EXITS = frozenset({"logement_autonome"})
_REASONS = tuple(MONTHLY_EXIT_HAZARD)
_WEIGHTS = tuple(MONTHLY_EXIT_HAZARD.values())
_DAILY_RATE = -math.log(1 - sum(_WEIGHTS)) / DAYS_PER_MONTH


@dataclass(frozen=True)
class Tenancy:
    start: date
    end: date | None  # None while ongoing at the extract date
    exit_reason: str | None


@dataclass(frozen=True)
class HousingPath:
    site: str
    referral: date
    entry: date
    tenancies: tuple[Tenancy, ...]

    @property
    def final_exit(self) -> Tenancy | None:
        """The tenancy that took the person out of the programme, if any."""
        last = self.tenancies[-1]
        return last if last.end is not None else None

    @property
    def death_date(self) -> date | None:
        last = self.tenancies[-1]
        return last.end if last.exit_reason == "deces" else None


def simulate_housing(rng: random.Random, as_of: date) -> HousingPath:
    """One person's path: exponential stays at the total hazard, reason drawn by relative hazard."""
    latest_entry = as_of - timedelta(days=MIN_FOLLOW_UP_DAYS)
    entry = PROGRAMME_START + timedelta(days=rng.randint(0, (latest_entry - PROGRAMME_START).days))
    referral = entry - timedelta(days=rng.randint(*REFERRAL_LEAD_DAYS))
    site = rng.choices(SITES, SITE_WEIGHTS)[0]
    tenancies = []
    start = entry
    while True:
        end = start + timedelta(days=max(1, math.ceil(rng.expovariate(_DAILY_RATE))))
        if end > as_of:
            tenancies.append(Tenancy(start, None, None))
            break
        reason = rng.choices(_REASONS, _WEIGHTS)[0]
        tenancies.append(Tenancy(start, end, reason))
        if reason != "demenagement":
            break  # no re-entry after leaving the programme
        start = end
    return HousingPath(site, referral, entry, tuple(tenancies))
