"""Housing paths in the programme: site, referral, entry and the chain of tenancies until exit."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.config import HousingRates

SITES = ("Lyon", "Marseille", "Lille", "Saint-Étienne")
SITE_WEIGHTS = (35, 30, 20, 15)
PROGRAMME_START = date(2019, 1, 1)
# Everybody has at least this much follow-up, so nobody enters on the extract date.
MIN_FOLLOW_UP_DAYS = 30
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True, slots=True)
class Tenancy:
    start: date
    end: date | None  # None while ongoing at the extract date
    exit_reason: str | None


@dataclass(frozen=True, slots=True)
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


def simulate_housing(rng: random.Random, as_of: date, rates: HousingRates) -> HousingPath:
    """One person's path: exponential stays at the total hazard, reason drawn by relative hazard."""
    reasons, weights = tuple(rates.monthly_exit_hazard), tuple(rates.monthly_exit_hazard.values())
    daily_rate = -math.log(1 - sum(weights)) / DAYS_PER_MONTH
    latest_entry = as_of - timedelta(days=MIN_FOLLOW_UP_DAYS)
    entry = PROGRAMME_START + timedelta(days=rng.randint(0, (latest_entry - PROGRAMME_START).days))
    referral = entry - timedelta(days=rng.randint(*rates.referral_lead_days))
    site = rng.choices(SITES, SITE_WEIGHTS)[0]
    tenancies = []
    start = entry
    while True:
        end = start + timedelta(days=max(1, math.ceil(rng.expovariate(daily_rate))))
        if end > as_of:
            tenancies.append(Tenancy(start, None, None))
            break
        reason = rng.choices(reasons, weights)[0]
        tenancies.append(Tenancy(start, end, reason))
        if reason != "demenagement":
            break  # no re-entry after leaving the programme
        start = end
    return HousingPath(site, referral, entry, tuple(tenancies))
