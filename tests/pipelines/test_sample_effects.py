"""Effect sizes in the sample world sit near the configured ones, and the configuration can change them."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from pipelines.sample.config import ConfigError, load_config
from pipelines.sample.finance import FUNDERS
from pipelines.sample.generate import generate
from tests.ground_truth import _committed_to_date, shelter_nights_before_after, survey_scores

AS_OF = date(2025, 12, 31)
CONFIG = load_config()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("effects")
    generate(out, persons=2500, seed=21)
    return out


def truth(out: Path, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "ground_truth" / name).read_text(encoding="utf-8"))))


def landing(out: Path, relative: str, delimiter: str = ",", encoding: str = "utf-8") -> list[dict[str, str]]:
    text = (out / "landing" / relative).read_text(encoding=encoding)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def entries(out: Path) -> dict[str, date]:
    return {p["person_id"]: date.fromisoformat(p["entry_date"]) for p in truth(out, "programme.csv")}


def followed_a_year(out: Path) -> set[str]:
    """People alive and observed 12 months after entry."""
    dead = {t["person_id"] for t in truth(out, "tenancies.csv") if t["exit_reason"] == "deces"}
    return {p for p, e in entries(out).items() if e + relativedelta(years=1) <= AS_OF and p not in dead}


def linked(out: Path, source: str) -> dict[str, str]:
    return {r["record_id"]: r["person_id"] for r in truth(out, "links.csv") if r["source"] == source}


def test_emergency_visits_and_hospital_days_roughly_halve(world: Path) -> None:
    links = linked(world, "health_encounters")
    rows = [r for r in landing(world, "health/encounters_2025-12.csv") if r["encounter_id"] in links]
    people, entry = followed_a_year(world), entries(world)
    visits, days = [0, 0], [0, 0]
    for row in rows:
        person, admitted = links[row["encounter_id"]], date.fromisoformat(row["admission_date"])
        if person not in people:
            continue
        side = 0 if entry[person] - relativedelta(years=1) <= admitted < entry[person] else None
        side = 1 if entry[person] <= admitted < entry[person] + relativedelta(years=1) else side
        if side is None:
            continue
        if row["encounter_type"] == "urgence":
            visits[side] += 1
        else:
            days[side] += (date.fromisoformat(row["discharge_date"]) - admitted).days
    factor = CONFIG.health.after_entry_factor
    assert visits[1] / visits[0] == pytest.approx(factor, abs=0.12)
    assert days[1] / days[0] == pytest.approx(factor, abs=0.2)


def test_shelter_nights_and_custody_fall_after_entry(world: Path) -> None:
    before, after = shelter_nights_before_after(world / "ground_truth")
    assert before == pytest.approx(CONFIG.shelter.nights_per_year_before, rel=0.25)
    # returns to the street add a little to the configured factor
    assert CONFIG.shelter.after_entry_factor * 0.7 < after / before < CONFIG.shelter.after_entry_factor * 2

    links = linked(world, "justice_events")
    people, entry = followed_a_year(world), entries(world)
    custody = [0, 0]
    for line in (world / "landing/justice/events_2025-12.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        person = links.get(event["event_id"])
        if person not in people or event["event_type"] != "garde_a_vue":
            continue
        day = date.fromisoformat(event["start_date"])
        custody[0] += entry[person] - relativedelta(years=1) <= day < entry[person]
        custody[1] += entry[person] <= day < entry[person] + relativedelta(years=1)
    assert custody[1] / custody[0] == pytest.approx(CONFIG.justice.after_entry_factor, abs=0.15)


def test_support_and_peer_contacts_follow_the_configured_rates(world: Path) -> None:
    people, entry = followed_a_year(world), entries(world)
    housed = defaultdict(int)
    peer = set()
    for contact in truth(world, "support_contacts.csv"):
        person, day = contact["person_id"], date.fromisoformat(contact["contact_date"])
        if person in people and day < entry[person] + relativedelta(years=1):
            housed[person] += contact["kind"] != "pair_aidance"
            if contact["kind"] == "pair_aidance":
                peer.add(person)
    # only people still housed at 12 months keep the full rate all year
    assert sum(housed.values()) / len(people) / 12 == pytest.approx(CONFIG.support.visits_per_month, rel=0.15)
    assert len(peer) / len(people) == pytest.approx(CONFIG.support.peer_share, abs=0.08)


def test_survey_quality_of_life_grows_with_time_housed(world: Path) -> None:
    scores = survey_scores(world / "ground_truth")
    responses = sum(n for (site, _), (n, _, _) in scores.items() if site == "all")
    satisfaction = sum(n * s for (site, _), (n, s, _) in scores.items() if site == "all") / responses
    assert satisfaction == pytest.approx(CONFIG.survey.satisfaction_mean, abs=0.2)
    early = [int(r["quality_of_life"]) for r in truth(world, "survey_responses.csv") if r["quarter"] < "2020-Q3"]
    late = [int(r["quality_of_life"]) for r in truth(world, "survey_responses.csv") if r["quarter"] >= "2024-Q1"]
    assert sum(late) / len(late) > sum(early) / len(early) + 0.5


def test_contracts_pay_about_the_smic_an_hour_and_training_a_stipend(world: Path) -> None:
    links, rates = linked(world, "employment_contracts"), CONFIG.employment
    rows = [r for r in landing(world, "employment/contracts_2025-12.csv") if r["contract_id"] in links]
    blank = [r for r in rows if not r["monthly_gross_pay"]]
    assert len(blank) / len(rows) == pytest.approx(rates.pay_missing_share, abs=0.015)
    hourly: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r["monthly_gross_pay"]:
            assert r["monthly_gross_pay"] == f"{float(r['monthly_gross_pay']):.2f}"  # two decimals, '.'
            hourly[r["contract_type"]].append(float(r["monthly_gross_pay"]) / (float(r["hours_per_week"]) * 52 / 12))
    smic = rates.smic_hourly
    assert min(hourly["insertion"]) == pytest.approx(smic, abs=0.01) == max(hourly["insertion"])
    interim = smic * (1 + rates.interim_allowance)
    assert min(hourly["interim"]) == pytest.approx(interim, abs=0.01) == max(hourly["interim"])
    for kind in ("cdi", "cdd"):  # never under the minimum wage, above it on average by the configured premium
        assert min(hourly[kind]) >= smic - 0.01
        premium = sum(hourly[kind]) / len(hourly[kind]) / smic - 1
        assert premium == pytest.approx(rates.pay_premium_mean[kind], rel=0.25)
    low, high = rates.training_stipend
    stipends = [h * 35 * 52 / 12 for h in hourly["formation"]]  # back to the full-time monthly stipend
    assert low - 0.5 <= min(stipends) and max(stipends) <= high + 0.5
    assert sum(hourly["formation"]) / len(hourly["formation"]) < smic / 2


def test_landlord_incidents_and_conversions_follow_the_configured_rates(world: Path) -> None:
    leases = truth(world, "leases.csv")
    years = (
        sum(
            ((date.fromisoformat(t["end_date"]) if t["end_date"] else AS_OF) - date.fromisoformat(t["start_date"])).days
            for t in leases
        )
        / 365.25
    )
    incidents = truth(world, "landlord_incidents.csv")
    assert len(incidents) / years == pytest.approx(CONFIG.landlords.incidents_per_tenancy_year, rel=0.15)
    # a lease converts once: its rate counts years still sublet
    sublet = (
        sum(
            (
                date.fromisoformat(t["converted_date"] or t["end_date"] or AS_OF.isoformat())
                - date.fromisoformat(t["start_date"])
            ).days
            for t in leases
        )
        / 365.25
    )
    conversions = sum(1 for t in leases if t["converted_date"])
    assert conversions / sublet == pytest.approx(CONFIG.landlords.conversions_per_year, rel=0.15)
    assert all(i["resolved_date"] == "" or i["resolved_date"] >= i["reported_date"] for i in incidents)
    assert {c["tenancy_id"] for c in truth(world, "guarantee_claims.csv")} <= {t["tenancy_id"] for t in leases}


def test_landlord_incidents_are_answered_within_days_and_by_their_resolution(world: Path) -> None:
    incidents = truth(world, "landlord_incidents.csv")
    assert all(i["reported_date"] <= i["responded_date"] for i in incidents if i["responded_date"])
    # resolving answers an incident at the latest: a resolved one is always answered, by its resolution
    assert all(
        i["responded_date"] and i["responded_date"] <= i["resolved_date"] for i in incidents if i["resolved_date"]
    )
    answered = [i for i in incidents if i["responded_date"]]
    assert any(not i["resolved_date"] for i in answered) and len(answered) < len(incidents)  # some open, some new
    days = [(date.fromisoformat(i["responded_date"]) - date.fromisoformat(i["reported_date"])).days for i in answered]
    # an exponential delay capped at the resolution (mean 30 days) averages a little under the configured mean
    assert sum(days) / len(days) == pytest.approx(CONFIG.landlords.response_days_mean, rel=0.15)
    assert 0 in days
    # the extract shows the first response as the truth has it, empty when it came after the extract date
    written = {r["id_incident"]: r["date_premiere_reponse"] for r in landing(world, "landlords/incidents_2025-12.csv")}
    assert all(written[i["incident_id"]] == i["responded_date"] for i in incidents)


def test_conventions_commit_the_cost_of_the_person_years_housed(world: Path) -> None:
    years: dict[tuple[str, int], float] = defaultdict(float)
    programme = {p["person_id"]: p["site"] for p in truth(world, "programme.csv")}
    spells: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for t in truth(world, "tenancies.csv"):
        end = date.fromisoformat(t["end_date"]) if t["end_date"] else AS_OF
        spells[t["person_id"]].append((date.fromisoformat(t["start_date"]), end))
    # the programme paid for the person until they died, whenever the housing operator recorded it
    died = {d["person_id"]: date.fromisoformat(d["death_date"]) for d in truth(world, "deaths.csv")}
    for person, chain in spells.items():
        start, end = min(s for s, _ in chain), max(e for _, e in chain)  # moves chain tenancies without a gap
        end = min(end, died.get(person, end))
        for year in range(start.year, end.year + 1):
            first, last = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
            years[(programme[person], year)] += ((last - first).days + 1) / 365.25
    committed: dict[tuple[str, int], float] = defaultdict(float)
    for line in truth(world, "conventions.csv"):
        committed[(line["site"], int(line["year"]))] += float(line["committed"])
        assert float(line["paid"]) <= float(line["committed"])
    for (site, year), amount in committed.items():
        shares = sum(sum(f.shares.values()) for f in FUNDERS if site in f.sites)
        assert amount == pytest.approx(CONFIG.finance.cost_per_person_year * shares * years[(site, year)], rel=1e-3)


def test_a_year_in_progress_costs_per_person_year_what_the_conventions_plan(tmp_path: Path) -> None:
    """Observed to 30 June, each site's commitment for the year is signed for the whole year, and the warehouse
    (and the ground truth) takes it pro rata of the days observed: per person-year housed so far it costs about
    the configured programme cost. A commitment sized on the days housed so far is discounted twice (about half),
    which an observation ending on 31 December hides."""
    end = date(2025, 6, 30)
    generate(tmp_path, persons=600, seed=4, as_of=end)
    site = {p["person_id"]: p["site"] for p in truth(tmp_path, "programme.csv")}
    housed: dict[str, set[date]] = defaultdict(set)  # person -> days housed this year, moves counted once
    for t in truth(tmp_path, "tenancies.csv"):
        first = max(date.fromisoformat(t["start_date"]), date(end.year, 1, 1))
        stop = min(date.fromisoformat(t["end_date"]) if t["end_date"] else end, end) + timedelta(days=1)
        housed[t["person_id"]] |= {first + timedelta(days=n) for n in range((stop - first).days)}
    days: dict[str, int] = defaultdict(int)
    for person, held in housed.items():
        days[site[person]] += len(held)
    committed: dict[str, float] = defaultdict(float)
    for line in truth(tmp_path, "conventions.csv"):
        if int(line["year"]) == end.year:
            committed[line["site"]] += float(_committed_to_date(line, end))
    assert days.keys() == committed.keys()
    for name, housed_days in days.items():
        shares = sum(sum(f.shares.values()) for f in FUNDERS if name in f.sites)
        per_person_year = committed[name] * 365.25 / housed_days
        assert per_person_year == pytest.approx(CONFIG.finance.cost_per_person_year * shares, rel=0.1), name


def test_married_women_appear_under_their_usage_name_at_some_partners(world: Path) -> None:
    usage = {r["person_id"]: r["usage_family_name"] for r in truth(world, "usage_names.csv")}
    women = sum(1 for p in truth(world, "persons.csv") if p["sex"] == "F" and p["birth_date"] < "1996")
    assert len(usage) / women == pytest.approx(CONFIG.identity.married_share, abs=0.06)
    links = linked(world, "housing_participants")
    rows = landing(world, "housing/participants_2025-12.csv", ";", "latin-1")
    used = [r for r in rows if links.get(r["id_participant"]) in usage]
    under_usage = sum(1 for r in used if usage[links[r["id_participant"]]] in (r["nom"], r["prenom"]))
    assert under_usage / len(used) == pytest.approx(CONFIG.identity.usage_name_rate["housing"], abs=0.15)


def test_a_config_file_overrides_the_defaults(tmp_path: Path) -> None:
    override = tmp_path / "rates.yml"
    override.write_text("shelter: {nights_per_year_before: 0}\nhealth: {after_entry_factor: 1.0}\n")
    config = load_config(override)
    assert config.health.after_entry_factor == 1.0 and config.health.urgence_per_year == CONFIG.health.urgence_per_year
    summary = generate(tmp_path / "out", persons=60, seed=1, config=config)
    assert "shelter_nights" not in summary.rows  # a partner with nothing to report sends no file
    assert not truth(tmp_path / "out", "shelter_stays.csv")

    override.write_text("health: {after_entry_factr: 1.0}\n")
    with pytest.raises(ConfigError, match="after_entry_factr"):
        load_config(override)


def test_deaths_in_hospital_draw_from_a_stream_of_their_own(tmp_path: Path) -> None:
    override = tmp_path / "rates.yml"
    override.write_text("health: {death_in_hospital_share: 0.0}\n")
    generate(tmp_path / "none", persons=400, seed=2, config=load_config(override))
    generate(tmp_path / "default", persons=400, seed=2)
    none, default = truth(tmp_path / "none", "deaths.csv"), truth(tmp_path / "default", "deaths.csv")
    assert [d["death_date"] for d in none] == [d["death_date"] for d in default]
    assert not any(d["in_hospital"] == "1" for d in none) and any(d["in_hospital"] == "1" for d in default)
    assert all(d["housing_recorded_date"] == d["death_date"] for d in none)
    for path in ("programme.csv", "persons.csv", "shelter_stays.csv", "support_contacts.csv"):
        assert truth(tmp_path / "none", path) == truth(tmp_path / "default", path), path
    hospital = landing(tmp_path / "none", "health/encounters_2025-12.csv", ",", "utf-8")
    assert {r["discharge_mode"] for r in hospital} == {"domicile"}
