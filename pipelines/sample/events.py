"""Health, justice and employment events around each person's programme entry.

Events are observed from two years before entry to the extract date (or death). Each person has a
gamma-distributed propensity per domain so that a few people carry most of the events, as in real
cohorts; rates then change at entry: health and justice fall, employment slowly rises.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.trajectories import HousingPath

OBSERVED_BEFORE_ENTRY_DAYS = 730
DAYS_PER_YEAR = 365.25

URGENCE_PER_YEAR = 1.6
HOSPITALISATION_PER_YEAR = 0.5
HEALTH_AFTER_ENTRY_FACTOR = 0.5
PSYCHIATRY_SHARE = 0.35
STAY_DAYS = (1, 30)

GARDE_A_VUE_PER_YEAR = 0.25
INCARCERATION_PER_YEAR = 0.06
JUSTICE_AFTER_ENTRY_FACTOR = 0.35
INCARCERATION_DAYS_BEFORE = (30, 540)
INCARCERATION_DAYS_AFTER = (7, 120)
PRISON_EXIT_DAYS = (60, 720)  # sentence behind a "prison" exit from the programme

CONTRACTS_PER_YEAR_BEFORE = 0.25
CONTRACTS_GROWTH_PER_YEAR_AFTER = 0.12
CONTRACTS_PER_YEAR_MAX = 0.8
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


@dataclass(frozen=True)
class Encounter:
    encounter_type: str  # urgence | hospitalisation
    service: str  # general | psychiatrie
    admission: date
    discharge: date


@dataclass(frozen=True)
class JusticeEvent:
    event_type: str  # garde_a_vue | incarceration
    start: date
    end: date | None


@dataclass(frozen=True)
class Contract:
    contract_type: str
    start: date
    end: date | None
    hours: float


def _window(path: HousingPath, as_of: date) -> tuple[date, date]:
    """First and last observable day: nothing happens after death."""
    return path.entry - timedelta(days=OBSERVED_BEFORE_ENTRY_DAYS), path.death_date or as_of


def _close(end: date, path: HousingPath, last: date) -> date | None:
    """An end past the last observable day is unknown (None), unless death closed it."""
    if end <= last:
        return end
    return last if path.death_date is not None else None


def _arrivals(rng: random.Random, path: HousingPath, as_of: date, before: float, after: float) -> list[date]:
    """Poisson arrival days with a yearly rate `before` until entry and `after` from entry on."""
    first, last = _window(path, as_of)
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


def health_events(rng: random.Random, path: HousingPath, as_of: date) -> list[Encounter]:
    frailty = rng.gammavariate(2.0, 0.5)
    last = _window(path, as_of)[1]
    u_rate, h_rate = URGENCE_PER_YEAR * frailty, HOSPITALISATION_PER_YEAR * frailty
    events = [
        Encounter("urgence", "general", day, day)
        for day in _arrivals(rng, path, as_of, u_rate, u_rate * HEALTH_AFTER_ENTRY_FACTOR)
    ]
    admissions = _arrivals(rng, path, as_of, h_rate, h_rate * HEALTH_AFTER_ENTRY_FACTOR)
    exit_ = path.final_exit
    if exit_ is not None and exit_.exit_reason == "hopital":
        admissions.append(exit_.end)  # the stay that ended the tenancy
    for day in admissions:
        service = "psychiatrie" if rng.random() < PSYCHIATRY_SHARE else "general"
        discharge = day + timedelta(days=rng.randint(*STAY_DAYS))
        if discharge <= last:  # hospital extracts hold completed stays only
            events.append(Encounter("hospitalisation", service, day, discharge))
    events.sort(key=lambda e: (e.admission, e.encounter_type))
    return events


def justice_events(rng: random.Random, path: HousingPath, as_of: date) -> list[JusticeEvent]:
    """Custodies and incarcerations; never two incarcerations at once, prison exits always jailed."""
    first, last = _window(path, as_of)
    propensity = rng.gammavariate(0.5, 2.0)
    base = (GARDE_A_VUE_PER_YEAR + INCARCERATION_PER_YEAR) * propensity / DAYS_PER_YEAR
    custody_share = GARDE_A_VUE_PER_YEAR / (GARDE_A_VUE_PER_YEAR + INCARCERATION_PER_YEAR)
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
        cand = t + rng.expovariate(base if before else base * JUSTICE_AFTER_ENTRY_FACTOR)
        if before and cand >= entry_off:
            t = entry_off  # memoryless: restart the clock at the new rate
            continue
        if prison_off is not None and cand >= prison_off:
            jailed(prison, rng.randint(*PRISON_EXIT_DAYS))
            break
        if cand >= end_off:
            break
        day = first + timedelta(days=int(cand))
        if rng.random() < custody_share:
            events.append(JusticeEvent("garde_a_vue", day, day))  # one calendar day
            t = int(cand) + 1
            continue
        if before:  # released before entry: many people are referred at prison release
            days = min(rng.randint(*INCARCERATION_DAYS_BEFORE), (path.entry - day).days - 1)
            events.append(JusticeEvent("incarceration", day, day + timedelta(days=max(days, 0))))
            t = (day - first).days + max(days, 0) + 1
            continue
        days = rng.randint(*INCARCERATION_DAYS_AFTER)
        if prison_off is not None and (day - first).days + days >= prison_off:
            jailed(day, (prison - day).days + rng.randint(*PRISON_EXIT_DAYS))  # lease lost while inside
            break
        if jailed(day, days):
            break
        t = (day - first).days + days + 1
    return events


def employment_events(rng: random.Random, path: HousingPath, as_of: date) -> list[Contract]:
    """Contracts by thinning: the yearly rate grows by a fixed step per year since entry."""
    first, last = _window(path, as_of)
    employability = rng.gammavariate(1.0, 1.0)
    entry_off, end_off = (path.entry - first).days, (last - first).days + 1
    peak = CONTRACTS_PER_YEAR_MAX * employability / DAYS_PER_YEAR
    contracts = []
    t = 0.0
    while peak > 0:
        t += rng.expovariate(peak)
        if t >= end_off:
            break
        rate = CONTRACTS_PER_YEAR_BEFORE
        if t >= entry_off:
            rate += CONTRACTS_GROWTH_PER_YEAR_AFTER * (t - entry_off) / DAYS_PER_YEAR
        if rng.random() * CONTRACTS_PER_YEAR_MAX >= rate:  # keep with probability rate / max (capped)
            continue
        kind = rng.choices(_CONTRACT_NAMES, _CONTRACT_WEIGHTS)[0]
        _, (low, high), hours = CONTRACT_TYPES[kind]
        start = first + timedelta(days=int(t))
        end = start + timedelta(days=rng.randint(low, high))
        contracts.append(Contract(kind, start, _close(end, path, last), rng.choice(hours)))
    return contracts
