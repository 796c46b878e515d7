"""Tenants' voice: the anonymous quarterly survey and the tenant council sessions of each site."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.sample.config import CouncilRates, SurveyRates
from pipelines.sample.events import DAYS_PER_YEAR
from pipelines.sample.trajectories import PROGRAMME_START, SITES, HousingPath


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    site: str
    answered: date
    satisfaction_housing: int  # 1-5
    satisfaction_support: int  # 1-5
    quality_of_life: int  # 0-10


@dataclass(frozen=True, slots=True)
class CouncilSession:
    site: str
    held: date
    attendees: int
    actions_decided: int | None  # None: the minutes do not say


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _quarters(first: date, last: date) -> list[tuple[date, date]]:
    """(first day, last day) of every calendar quarter that meets [first, last]."""
    out = []
    start = date(first.year, 3 * ((first.month - 1) // 3) + 1, 1)
    while start <= last:
        month = start.month + 3
        following = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
        out.append((start, following - timedelta(days=1)))
        start = following
    return out


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def survey_responses(rng: random.Random, path: HousingPath, as_of: date, rates: SurveyRates) -> list[SurveyResponse]:
    """At most one answer a quarter while the person holds a tenancy; quality of life grows with time housed."""
    housed_until = path.tenancies[-1].end or as_of
    out = []
    for q_start, q_end in _quarters(path.entry, housed_until):
        if rng.random() >= rates.response_rate:
            continue
        first, last = max(q_start, path.entry), min(q_end, housed_until)
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        years = min((day - path.entry).days / DAYS_PER_YEAR, rates.quality_of_life_gain_cap_years)
        quality = rates.quality_of_life_start + rates.quality_of_life_gain_per_year * years
        out.append(
            SurveyResponse(
                path.site,
                day,
                _clamp(rng.gauss(rates.satisfaction_mean, 0.9), 1, 5),
                _clamp(rng.gauss(rates.satisfaction_mean + 0.2, 0.9), 1, 5),
                _clamp(rng.gauss(quality, 1.6), 0, 10),
            )
        )
    return out


class HousedTenants:
    """Number of people holding a tenancy at each site on each day since the programme start, counted
    one path at a time: a fixed-size array of changes per site, whatever the number of persons."""

    def __init__(self, as_of: date) -> None:
        span = (as_of - PROGRAMME_START).days + 2
        self._deltas = {site: [0] * span for site in SITES}

    def add(self, path: HousingPath) -> None:
        self._deltas[path.site][(path.entry - PROGRAMME_START).days] += 1
        end = path.tenancies[-1].end
        if end is not None:
            self._deltas[path.site][(end - PROGRAMME_START).days] -= 1

    def by_site_and_day(self) -> dict[str, list[int]]:
        return {site: list(itertools.accumulate(delta)) for site, delta in self._deltas.items()}


def council_sessions(
    rng: random.Random, minutes: random.Random, tenants: HousedTenants, as_of: date, rates: CouncilRates
) -> list[CouncilSession]:
    """Sessions at each site once it houses a few tenants, attended by a small share of them; `minutes` draws
    which minutes leave out the actions decided, apart from `rng` so the sessions stay those of other rates."""
    housed = tenants.by_site_and_day()
    sessions = []
    for site in SITES:
        t = 0.0
        span = (as_of - PROGRAMME_START).days + 1
        while rates.sessions_per_year > 0:
            t += rng.expovariate(rates.sessions_per_year / DAYS_PER_YEAR)
            if t >= span:
                break
            tenants = housed[site][int(t)]
            if tenants < 10:
                continue
            attendees = max(2, round(tenants * rates.attendance_share * rng.uniform(0.5, 1.5)))
            day = PROGRAMME_START + timedelta(days=int(t))
            actions = rng.randint(*rates.actions_per_session)
            silent = minutes.random() < rates.actions_unknown_share
            sessions.append(CouncilSession(site, day, attendees, None if silent else actions))
    sessions.sort(key=lambda s: (s.held, s.site))
    return sessions
