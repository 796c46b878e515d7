"""The true sample world, simulated once up to the extract date; every partner file is a view of it.

Record numbers are fixed here, in the order each partner numbers its records over the whole history,
so that a monthly snapshot holds a subset of the final ids and a record keeps its id from month to month.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date

from pipelines.sample.config import SampleConfig
from pipelines.sample.events import Contract, Encounter, JusticeEvent, employment_events, health_events, justice_events
from pipelines.sample.finance import person_years
from pipelines.sample.identities import Identity, make_identities, with_usage_names
from pipelines.sample.landlords import Claim, Incident, Lease, landlords, lease
from pipelines.sample.noise import PARTNERS, PartnerView, duplicate_view, partner_view
from pipelines.sample.shelter import ShelterStay, shelter_stays
from pipelines.sample.support import SupportLog, support_log
from pipelines.sample.trajectories import HousingPath, Tenancy, simulate_housing
from pipelines.sample.voice import CouncilSession, SurveyResponse, council_sessions, survey_responses

RENT_RANGE = (320.0, 650.0)


def stream(seed: int, name: str) -> random.Random:
    # str seeds are hashed with SHA-512 by random, so they are stable across runs and platforms.
    return random.Random(f"abord-sample:{seed}:{name}")


@dataclass(frozen=True, slots=True)
class TenancyRecord:
    number: int  # the housing operator's tenancy number
    person: int  # index into World.people
    tenancy: Tenancy
    rent: float
    lease: Lease


@dataclass(frozen=True)
class World:
    seed: int
    as_of: date
    config: SampleConfig
    people: list[Identity]
    paths: list[HousingPath]
    views: dict[str, list[PartnerView]]  # partner -> view per person, aligned with people
    duplicates: dict[str, dict[int, PartnerView]]  # partner -> person index -> second record
    participant_numbers: list[int]  # by person index: numbered in entry order
    tenancies: list[TenancyRecord]  # in start order
    incidents: list[tuple[TenancyRecord, Incident]]  # as landlords number them: by date, then tenancy
    claims: list[tuple[TenancyRecord, Claim]]  # likewise
    health: list[list[Encounter]]
    justice: list[list[JusticeEvent]]
    work: list[list[Contract]]
    shelter: list[list[ShelterStay]]
    support: list[SupportLog]
    survey: list[SurveyResponse]  # in answer order
    council: list[CouncilSession]
    budget: dict[tuple[str, int], float]  # (site, year) -> person-years housed

    def view(self, partner: str, person: int, position: int, count: int) -> PartnerView:
        """The record a partner files the person's `position`-th of `count` rows under: the later
        rows of someone with a duplicate go to the second record."""
        second = self.duplicates.get(partner, {}).get(person)
        share = self.config.identity.duplicate_row_share
        if second is not None and position >= math.ceil(count * (1 - share)):
            return second
        return self.views[partner][person]


def build_world(persons: int, seed: int, as_of: date, config: SampleConfig) -> World:
    people = make_identities(stream(seed, "identities"), persons)
    people = with_usage_names(stream(seed, "usage-names"), people, config.identity.married_share)
    housing_rng = stream(seed, "housing")
    paths = [simulate_housing(housing_rng, as_of, config.housing) for _ in people]
    noise_rng, dup_rng = stream(seed, "noise"), stream(seed, "duplicates")
    views = {partner: [partner_view(noise_rng, p, partner, config.identity) for p in people] for partner in PARTNERS}
    duplicates = {
        partner: {
            i: duplicate_view(dup_rng, people[i], partner, config.identity, views[partner][i])
            for i in range(len(people))
            if dup_rng.random() < rate
        }
        for partner, rate in config.identity.duplicate_rate.items()
    }
    order = sorted(range(len(people)), key=lambda i: (paths[i].entry, i))
    numbers = [0] * len(people)
    for number, i in enumerate(order, start=1):
        numbers[i] = number

    flat = sorted(((t.start, numbers[i], i, t) for i, p in enumerate(paths) for t in p.tenancies), key=lambda x: x[:2])
    rent_rng, landlord_rng = stream(seed, "rents"), stream(seed, "landlords")
    pools = landlords(landlord_rng, config.landlords)
    tenancies = [
        TenancyRecord(
            number,
            i,
            t,
            round(rent_rng.uniform(*RENT_RANGE), 2),
            lease(landlord_rng, t, pools[paths[i].site], as_of, config.landlords),
        )
        for number, (_, _, i, t) in enumerate(flat, start=1)
    ]
    incidents = sorted(
        ((t, i) for t in tenancies for i in t.lease.incidents), key=lambda x: (x[1].reported, x[0].number)
    )
    claims = sorted(((t, c) for t in tenancies for c in t.lease.claims), key=lambda x: (x[1].claimed, x[0].number))
    health_rng, justice_rng, work_rng, shelter_rng, survey_rng, support_rng = (
        stream(seed, n) for n in ("health", "justice", "employment", "shelter", "survey", "support")
    )
    survey = [r for p in paths for r in survey_responses(survey_rng, p, as_of, config.survey)]
    survey.sort(key=lambda r: (r.answered, r.site))
    return World(
        seed=seed,
        as_of=as_of,
        config=config,
        people=people,
        paths=paths,
        views=views,
        duplicates=duplicates,
        participant_numbers=numbers,
        tenancies=tenancies,
        incidents=incidents,
        claims=claims,
        health=[health_events(health_rng, p, as_of, config.health) for p in paths],
        justice=[justice_events(justice_rng, p, as_of, config.justice) for p in paths],
        work=[employment_events(work_rng, p, as_of, config.employment) for p in paths],
        shelter=[shelter_stays(shelter_rng, p, as_of, config.shelter) for p in paths],
        support=[support_log(support_rng, p, as_of, config.support) for p in paths],
        survey=survey,
        council=council_sessions(stream(seed, "council"), paths, as_of, config.council),
        budget=person_years(paths, as_of),
    )
