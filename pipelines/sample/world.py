"""The true sample world, simulated one person at a time up to the extract date; every partner file is a view of it.

Nothing about a person is kept once their rows are written, so memory does not grow with the number of
persons: what the files about no one in particular need of everybody is added up as the persons go by.
Each domain draws from its own stream, person after person, so changing one domain (say the notes) does
not reshuffle another (say the tenancies).

A partner numbers a person's records right after those of the persons simulated before, in the person's
own date order. The numbers depend on the simulation only, so a monthly extract holds a subset of the
final ids and a record keeps its id from month to month.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines.sample.config import HealthRates, SampleConfig
from pipelines.sample.events import Contract, Encounter, JusticeEvent, employment_events, health_events, justice_events
from pipelines.sample.finance import add_person_years
from pipelines.sample.identities import Identity, iter_identities, with_usage_name
from pipelines.sample.landlords import Claim, Incident, Lease, landlords, lease
from pipelines.sample.noise import PARTNERS, PartnerView, duplicate_view, partner_view
from pipelines.sample.seen import SeenValues
from pipelines.sample.shelter import ShelterStay, shelter_stays
from pipelines.sample.support import SupportLog, support_log
from pipelines.sample.trajectories import HousingPath, Tenancy, simulate_housing
from pipelines.sample.voice import HousedTenants, SurveyResponse, survey_responses

RENT_RANGE = (320.0, 650.0)


def stream(seed: int, name: str) -> random.Random:
    # str seeds are hashed with SHA-512 by random, so they are stable across runs and platforms.
    return random.Random(f"abord-sample:{seed}:{name}")


@dataclass(frozen=True, slots=True)
class TenancyRecord:
    number: int  # the housing operator's tenancy number
    tenancy: Tenancy  # as the operator's file holds it: a death in hospital it may end later, or never
    rent: float
    lease: Lease


@dataclass(frozen=True, slots=True)
class Person:
    """One person's true history, with the numbers the partners file their records under."""

    number: int  # from 1 in simulation order: the housing operator's participant number
    identity: Identity
    path: HousingPath
    views: dict[str, PartnerView]  # partner -> the person's record there
    duplicates: dict[str, PartnerView]  # partner -> a second record, for the few a partner holds twice
    tenancies: tuple[TenancyRecord, ...]
    incidents: list[tuple[TenancyRecord, Incident]]  # as landlords number them: by date, then tenancy
    claims: list[tuple[TenancyRecord, Claim]]  # likewise
    health: list[Encounter]  # event lists are in date order
    justice: list[JusticeEvent]
    work: list[Contract]
    shelter: list[ShelterStay]
    support: SupportLog
    survey: list[SurveyResponse]
    first: dict[str, int]  # source -> number of the person's first record there (first night for shelter)
    hospital_death: HospitalDeath | None  # a death in a hospital stay, and the operator's record of it

    def view(self, partner: str, position: int, count: int, duplicate_share: float) -> PartnerView:
        """The record a partner files the person's `position`-th of `count` rows under: the later
        rows of someone with a duplicate go to the second record."""
        second = self.duplicates.get(partner)
        if second is not None and position >= math.ceil(count * (1 - duplicate_share)):
            return second
        return self.views[partner]


@dataclass(frozen=True, slots=True)
class HospitalDeath:
    """A death in a hospital stay, and what the housing operator's file makes of it."""

    stay_days: int  # the stay ends on the death day, discharged as a death
    recorded: date | None  # the tenancy end the housing operator records, None if never (or not yet)


def hospital_death(rng: random.Random, path: HousingPath, as_of: date, rates: HealthRates) -> HospitalDeath | None:
    """Whether a death happened in a hospital stay; the same four draws for every death, so the shares move no
    other death's values."""
    if path.death_date is None:
        return None
    in_hospital, stay_days, fate, delay = (
        rng.random(),
        rng.randint(*rates.stay_days),
        rng.random(),
        rng.randint(*rates.hospital_death_record_delay_days),
    )
    if in_hospital >= rates.death_in_hospital_share:
        return None
    recorded: date | None = path.death_date
    if fate < rates.hospital_death_unrecorded_share:
        recorded = None
    elif fate < rates.hospital_death_unrecorded_share + rates.hospital_death_recorded_late_share:
        later = path.death_date + timedelta(days=delay)
        recorded = later if later <= as_of else None
    return HospitalDeath(stay_days, recorded)


def _as_recorded(tenancy: Tenancy, death: HospitalDeath | None) -> Tenancy:
    """The tenancy as the housing operator's file holds it: a death in hospital may end it later, or never."""
    if death is None or tenancy.exit_reason != "deces" or death.recorded == tenancy.end:
        return tenancy
    return Tenancy(tenancy.start, death.recorded, "deces" if death.recorded else None)


def _by_date(events: list, dated: Callable[[object], date]) -> list:
    return sorted(events, key=dated)  # stable: same-day events keep their drawing order


@dataclass
class Simulation:
    """Simulates persons one after the other and keeps what is needed of all of them, all of it bounded."""

    seed: int
    as_of: date
    config: SampleConfig
    seen: SeenValues = field(default_factory=SeenValues)  # identifiers in use: made-up people avoid them
    used: dict[str, int] = field(default_factory=dict)  # source -> records numbered so far
    budget: dict[tuple[str, int], float] = field(default_factory=dict)  # (site, year) -> person-years housed
    persons: int = 0
    housed: HousedTenants = field(init=False)

    def __post_init__(self) -> None:
        self.housed = HousedTenants(self.as_of)

    def _number(self, source: str, count: int) -> int:
        """Number of the first of `count` new records of `source`."""
        first = self.used.get(source, 0) + 1
        self.used[source] = first - 1 + count
        return first

    def people(self, count: int) -> Iterator[Person]:
        seed, as_of, config = self.seed, self.as_of, self.config
        identities = iter_identities(stream(seed, "identities"), self.seen)
        usage_rng, housing_rng, noise_rng, dup_rng = (
            stream(seed, n) for n in ("usage-names", "housing", "noise", "duplicates")
        )
        rent_rng, landlord_rng, response_rng = (stream(seed, n) for n in ("rents", "landlords", "incident-responses"))
        pools = landlords(landlord_rng, config.landlords)
        health_rng, justice_rng, work_rng, shelter_rng, survey_rng, support_rng = (
            stream(seed, n) for n in ("health", "justice", "employment", "shelter", "survey", "support")
        )
        pay_rng, death_rng = stream(seed, "employment-pay"), stream(seed, "hospital-deaths")
        for number in range(1, count + 1):
            identity = with_usage_name(usage_rng, next(identities), config.identity.married_share)
            path = simulate_housing(housing_rng, as_of, config.housing)
            views = {partner: partner_view(noise_rng, identity, partner, config.identity) for partner in PARTNERS}
            duplicates = {
                partner: duplicate_view(dup_rng, identity, partner, config.identity, views[partner])
                for partner, rate in config.identity.duplicate_rate.items()
                if dup_rng.random() < rate
            }
            death = hospital_death(death_rng, path, as_of, config.health)
            first_tenancy = self._number("housing_tenancies", len(path.tenancies))
            tenancies = tuple(
                TenancyRecord(
                    first_tenancy + k,
                    _as_recorded(t, death),
                    round(rent_rng.uniform(*RENT_RANGE), 2),
                    lease(landlord_rng, response_rng, t, pools[path.site], as_of, config.landlords),
                )
                for k, t in enumerate(path.tenancies)
            )
            incidents = sorted(((t, i) for t in tenancies for i in t.lease.incidents), key=lambda x: x[1].reported)
            claims = sorted(((t, c) for t in tenancies for c in t.lease.claims), key=lambda x: x[1].claimed)
            health = health_events(health_rng, path, as_of, config.health, death and death.stay_days)
            justice = _by_date(justice_events(justice_rng, path, as_of, config.justice), lambda e: e.start)
            work = _by_date(employment_events(work_rng, pay_rng, path, as_of, config.employment), lambda c: c.start)
            shelter = _by_date(shelter_stays(shelter_rng, path, as_of, config.shelter), lambda s: s.first_night)
            support = support_log(support_rng, path, as_of, config.support)
            survey = survey_responses(survey_rng, path, as_of, config.survey)
            first = {
                "housing_tenancies": first_tenancy,
                "health_encounters": self._number("health_encounters", len(health)),
                "employment_contracts": self._number("employment_contracts", len(work)),
                "justice_events": self._number("justice_events", len(justice)),
                "shelter_nights": self._number("shelter_nights", sum(s.nights for s in shelter)),
                "landlord_incidents": self._number("landlord_incidents", len(incidents)),
                "landlord_guarantee_claims": self._number("landlord_guarantee_claims", len(claims)),
                "tenant_survey": self._number("tenant_survey", len(survey)),
            }
            add_person_years(self.budget, path, as_of)
            self.housed.add(path)
            self.persons = number
            yield Person(
                number, identity, path, views, duplicates, tenancies, incidents, claims,
                health, justice, work, shelter, support, survey, first, death,
            )  # fmt: skip
