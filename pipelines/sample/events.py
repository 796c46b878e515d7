"""Health, justice and employment events around each person's programme entry.

Events are observed from two years before entry to the extract date (or death). Each person has a
gamma-distributed propensity per domain so that a few people carry most of the events, as in real
cohorts; rates then change at entry: health and justice fall, employment slowly rises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.config import EmploymentRates, HealthRates, JusticeRates
from pipelines.sample.trajectories import HousingPath

OBSERVED_BEFORE_ENTRY_DAYS = 730
DAYS_PER_YEAR = 365.25

# type: (relative weight, (min, max) duration in days, usual weekly hours)
CONTRACT_TYPES = {
    "cdd": (30, (30, 365), (35.0, 24.0, 17.5, 20.0)),
    "interim": (25, (5, 60), (35.0, 39.0)),
    "insertion": (20, (120, 730), (26.0, 20.0, 24.0)),
    "formation": (15, (30, 270), (35.0, 30.0, 20.0)),
    "cdi": (10, (60, 2400), (35.0, 35.0, 28.0, 24.0)),  # a CDI "ends" only if it ends before as_of
}
_CONTRACT_NAMES = tuple(CONTRACT_TYPES)
_CONTRACT_WEIGHTS = tuple(spec[0] for spec in CONTRACT_TYPES.values())


@dataclass(frozen=True, slots=True)
class Encounter:
    encounter_type: str  # urgence | hospitalisation
    service: str  # general | psychiatrie
    admission: date
    discharge: date
    discharge_mode: str = "domicile"  # PMSI mode de sortie: domicile, or deces for a death in the stay


@dataclass(frozen=True, slots=True)
class JusticeEvent:
    event_type: str  # garde_a_vue | incarceration
    start: date
    end: date | None


@dataclass(frozen=True, slots=True)
class Contract:
    contract_type: str
    start: date
    end: date | None
    hours: float
    monthly_pay: float | None  # gross, EUR; None when the partner does not send it


def observed_window(path: HousingPath, as_of: date) -> tuple[date, date]:
    """First and last observable day: nothing happens after death."""
    return path.entry - timedelta(days=OBSERVED_BEFORE_ENTRY_DAYS), path.death_date or as_of


def _close(end: date, path: HousingPath, last: date) -> date | None:
    """An end past the last observable day is unknown (None), unless death closed it."""
    if end <= last:
        return end
    return last if path.death_date is not None else None


def _arrivals(rng: random.Random, path: HousingPath, as_of: date, before: float, after: float) -> list[date]:
    """Poisson arrival days with a yearly rate `before` until entry and `after` from entry on."""
    first, last = observed_window(path, as_of)
    days = []
    for seg_start, length, rate in (
        (first, (path.entry - first).days, before),
        (path.entry, (last - path.entry).days + 1, after),
    ):
        if rate <= 0:
            continue
        daily = rate / DAYS_PER_YEAR
        t = rng.expovariate(daily)
        while t < length:
            days.append(seg_start + timedelta(days=int(t)))
            t += rng.expovariate(daily)
    return days


def health_events(
    rng: random.Random, path: HousingPath, as_of: date, rates: HealthRates, death_stay_days: int | None = None
) -> list[Encounter]:
    """Emergency visits and hospital stays; with `death_stay_days`, the person died in a stay of that many days
    ending on the death day, which the hospital discharges as a death."""
    frailty = rng.gammavariate(2.0, 0.5)
    last = observed_window(path, as_of)[1]
    u_rate, h_rate = rates.urgence_per_year * frailty, rates.hospitalisation_per_year * frailty
    events = [
        Encounter("urgence", "general", day, day)
        for day in _arrivals(rng, path, as_of, u_rate, u_rate * rates.after_entry_factor)
    ]
    admissions = _arrivals(rng, path, as_of, h_rate, h_rate * rates.after_entry_factor)
    exit_ = path.final_exit
    if exit_ is not None and exit_.exit_reason == "hopital":
        admissions.append(exit_.end)  # the stay that ended the tenancy
    for day in admissions:
        service = "psychiatrie" if rng.random() < rates.psychiatry_share else "general"
        discharge = day + timedelta(days=rng.randint(*rates.stay_days))
        if discharge <= last:  # hospital extracts hold completed stays only
            events.append(Encounter("hospitalisation", service, day, discharge))
    if death_stay_days is not None and path.death_date is not None:
        admission = path.death_date - timedelta(days=death_stay_days)
        events.append(Encounter("hospitalisation", "general", admission, path.death_date, "deces"))
    events.sort(key=lambda e: (e.admission, e.encounter_type))
    return events


def justice_events(rng: random.Random, path: HousingPath, as_of: date, rates: JusticeRates) -> list[JusticeEvent]:
    """Custodies and incarcerations; never two incarcerations at once, prison exits always jailed."""
    first, last = observed_window(path, as_of)
    propensity = rng.gammavariate(0.5, 2.0)
    yearly = rates.garde_a_vue_per_year + rates.incarceration_per_year
    base = yearly * propensity / DAYS_PER_YEAR
    custody_share = rates.garde_a_vue_per_year / yearly if yearly else 0.0
    exit_ = path.final_exit
    prison = exit_.end if exit_ is not None and exit_.exit_reason == "prison" else None
    entry_off, end_off = (path.entry - first).days, (last - first).days + 1
    prison_off = (prison - first).days if prison else None
    events: list[JusticeEvent] = []

    def jailed(start: date, days: int) -> bool:
        """Record an incarceration from `start`; True when it is still running at the end."""
        end = _close(start + timedelta(days=days), path, last)
        events.append(JusticeEvent("incarceration", start, end))
        return end is None or end >= last

    t = 0.0
    while base > 0:
        before = t < entry_off
        cand = t + rng.expovariate(base if before else base * rates.after_entry_factor)
        if before and cand >= entry_off:
            t = entry_off  # memoryless: restart the clock at the new rate
            continue
        if prison_off is not None and cand >= prison_off:
            jailed(prison, rng.randint(*rates.prison_exit_days))
            break
        if cand >= end_off:
            break
        day = first + timedelta(days=int(cand))
        if rng.random() < custody_share:
            events.append(JusticeEvent("garde_a_vue", day, day))  # one calendar day
            t = int(cand) + 1
            continue
        if before:  # released before entry: many people are referred at prison release
            days = min(rng.randint(*rates.incarceration_days_before), (path.entry - day).days - 1)
            events.append(JusticeEvent("incarceration", day, day + timedelta(days=max(days, 0))))
            t = (day - first).days + max(days, 0) + 1
            continue
        days = rng.randint(*rates.incarceration_days_after)
        if prison_off is not None and (day - first).days + days >= prison_off:
            jailed(day, (prison - day).days + rng.randint(*rates.prison_exit_days))  # lease lost while inside
            break
        if jailed(day, days):
            break
        t = (day - first).days + days + 1
    return events


def monthly_pay(rng: random.Random, kind: str, hours: float, rates: EmploymentRates) -> float | None:
    """Gross monthly pay of a contract of `hours` a week: a training stipend (prorated to 35 hours) for
    `formation`, else hours x 52/12 x an hourly rate of the SMIC plus an exponential premium, plus the
    end-of-mission allowance for interim work. None for the share of contracts sent without pay."""
    if kind == "formation":
        pay = rng.uniform(*rates.training_stipend) * hours / 35
    else:
        premium = rates.pay_premium_mean[kind]
        rate = rates.smic_hourly * (1 + (rng.expovariate(1 / premium) if premium > 0 else 0))
        if kind == "interim":
            rate *= 1 + rates.interim_allowance
        pay = hours * 52 / 12 * rate
    # always drawn, so changing the share sent without pay moves no contract's pay
    return None if rng.random() < rates.pay_missing_share else round(pay, 2)


def employment_events(
    rng: random.Random, pay_rng: random.Random, path: HousingPath, as_of: date, rates: EmploymentRates
) -> list[Contract]:
    """Contracts by thinning: the yearly rate grows by a fixed step per year since entry. Pay comes from a
    stream of its own (`pay_rng`), so drawing it moves none of the contracts."""
    first, last = observed_window(path, as_of)
    employability = rng.gammavariate(1.0, 1.0)
    entry_off, end_off = (path.entry - first).days, (last - first).days + 1
    peak = rates.max_per_year * employability / DAYS_PER_YEAR
    contracts = []
    t = 0.0
    while peak > 0:
        t += rng.expovariate(peak)
        if t >= end_off:
            break
        rate = rates.contracts_per_year_before
        if t >= entry_off:
            rate += rates.growth_per_year_after * (t - entry_off) / DAYS_PER_YEAR
        if rng.random() * rates.max_per_year >= rate:  # keep with probability rate / max (capped)
            continue
        kind = rng.choices(_CONTRACT_NAMES, _CONTRACT_WEIGHTS)[0]
        _, (low, high), hours = CONTRACT_TYPES[kind]
        start = first + timedelta(days=int(t))
        end = start + timedelta(days=rng.randint(low, high))
        weekly = rng.choice(hours)
        pay = monthly_pay(pay_rng, kind, weekly, rates)
        contracts.append(Contract(kind, start, _close(end, path, last), weekly, pay))
    return contracts
