"""Indicators recomputed in plain Python from the sample generator's ground truth, independently of dbt."""

from __future__ import annotations

import csv
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from dateutil.relativedelta import relativedelta


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


def quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Cell:
    numerator: int
    denominator: int


def hospital_deaths(rows: Iterable[dict], person_of: Callable[[dict], str | None]) -> dict[str, date]:
    """Person -> the earliest discharge of a hospital stay by a death (mode de sortie: deces), a stay without its
    discharge day dated by its admission."""
    deaths: dict[str, date] = {}
    for row in rows:
        person = person_of(row)
        if row["discharge_mode"] == "deces" and person is not None:
            day = row["discharge_date"] or row["admission_date"]
            day = day if isinstance(day, date) else date.fromisoformat(day)
            deaths[person] = min(day, deaths.get(person, day))
    return deaths


def retention_cells(ground_truth: Path, months: int = 12) -> dict[tuple[str, str], Cell]:
    """(site, cohort) -> retained / observed persons, with 'all' totals, as the catalogue defines it: a person
    dead on or before the checkpoint, as the housing operator or the hospital (its latest extract) reports it,
    leaves the denominator."""
    as_of = date.fromisoformat(json.loads((ground_truth / "meta.json").read_text())["as_of"])
    tenancies = defaultdict(list)
    for row in _rows(ground_truth / "tenancies.csv"):
        tenancies[row["person_id"]].append((_date(row["start_date"]), _date(row["end_date"]), row["exit_reason"]))
    links = {
        r["record_id"]: r["person_id"] for r in _rows(ground_truth / "links.csv") if r["source"] == "health_encounters"
    }
    (hospital_file,) = sorted((ground_truth.parent / "landing").glob(EVENT_SOURCES["health_encounters"][0]))[-1:]
    died = hospital_deaths(_rows(hospital_file), lambda row: links.get(row["encounter_id"]))
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for person in _rows(ground_truth / "programme.csv"):
        entry = date.fromisoformat(person["entry_date"])
        checkpoint = entry + relativedelta(months=months)
        if checkpoint > as_of:
            continue
        spells = tenancies[person["person_id"]]
        housed = any(start <= checkpoint and (end is None or end > checkpoint) for start, end, _ in spells)
        exits = sorted(
            (end, reason) for _, end, reason in spells if end and end <= checkpoint and reason != "demenagement"
        )
        last_exit = exits[-1][1] if exits else None
        death = died.get(person["person_id"])
        if any(reason == "deces" and end and end <= checkpoint for _, end, reason in spells) or (
            death is not None and death <= checkpoint
        ):
            continue  # died on or before the checkpoint, whatever is recorded after the death
        retained = housed or last_exit == "logement_autonome"
        site, cohort = person["site"], quarter(entry)
        for key in ((site, cohort), (site, "all"), ("all", cohort), ("all", "all")):
            counts[key][0] += retained
            counts[key][1] += 1
    return {key: Cell(*value) for key, value in counts.items()}


def identifiers(ground_truth: Path) -> dict[str, set[str]]:
    """Every direct identifier of every true person, by kind."""
    kinds: dict[str, set[str]] = defaultdict(set)
    for person in _rows(ground_truth / "persons.csv"):
        for kind in ("nir", "phone", "email", "family_name", "given_name", "birth_date"):
            if person.get(kind):
                kinds[kind].add(person[kind])
    return kinds


# --- Every indicator of marts.indicator_cells and marts.retention_curve_cells, recomputed from the truth -------
#
# The truth is ground_truth/ (programme, tenancies, links, invalid rows) plus the valid rows of the event
# sources (health, justice, employment), which the generator writes only to landing/: a valid row is one whose
# record id links.csv maps to a person. `person_of` maps (source, record id) to the person a row is counted for:
# by default the true person (links.csv); pass the pipeline's own linkage to recompute what dbt sees.

EVENT_SOURCES = {  # source -> (landing glob, record id column)
    "health_encounters": ("health/encounters_*.csv", "encounter_id"),
    "justice_events": ("justice/events_*.jsonl", "event_id"),
    "employment_contracts": ("employment/contracts_*.csv", "contract_id"),
    "shelter_nights": ("shelter/nights_*.csv", "id_nuitee"),
}
SERVICE_SOURCES = ("health_encounters", "justice_events", "shelter_nights")
RETENTION_MONTHS = (6, 12, 24)
EMPLOYMENT_MONTHS = (12, 24)
RETURN_WINDOWS = ((0, 180), (181, 365), (366, 730))
SERVICE_MEASURES = (
    "health_emergency_visits",
    "health_admissions",
    "health_admissions_general",
    "health_admissions_psychiatric",
    "health_hospital_days",
    "health_hospital_days_general",
    "health_hospital_days_psychiatric",
    "justice_custody_events",
    "justice_incarceration_days",
    "shelter_nights",
)
CellKey = tuple[str, str, str, str, str]  # indicator_code, period, site, cohort, breakdown


@dataclass(frozen=True)
class IndicatorCell:
    numerator: int | None
    denominator: int | None
    value: float | None  # unrounded
    persons: int | None


@dataclass
class Truth:
    observation_end: date
    observed_to: dict[str, date]  # per source: last day of its extract's period
    participants: list[tuple[str, str, str, date | None, date]]  # record id, person, site, referral, entry
    tenancies: list[tuple[str, str, date, date | None, str]]  # record id, person, start, end, exit reason
    events: dict[str, list[dict]]  # source -> valid rows, with "person" added and dates parsed
    rows_read: dict[str, int]
    rows_quarantined: dict[str, int]
    truth_dir: Path | None = None
    person_of: dict[tuple[str, str], str] | None = None  # (source, record id) -> person, as counted


def month_end(period: str) -> date:
    first = date.fromisoformat(f"{period}-01")
    return first + relativedelta(months=1, days=-1)


def add_months(day: date, months: int) -> date:
    return day + relativedelta(months=months)


def completed_months(start: date, day: date) -> int:
    """The largest m with start + m months <= day."""
    months = (day.year - start.year) * 12 + day.month - start.month + 1
    while add_months(start, months) > day:
        months -= 1
    return months


def months_reached(start: date, day: date) -> int:
    """The smallest m with start + m months >= day."""
    months = completed_months(start, day)
    return months if add_months(start, months) >= day else months + 1


def load_truth(data_dir: Path, person_of: dict[tuple[str, str], str] | None = None) -> Truth:
    """The generator's truth under `data_dir` (ground_truth/ and the valid rows of landing/)."""
    truth_dir = data_dir / "ground_truth"
    meta = json.loads((truth_dir / "meta.json").read_text())
    links = {(r["source"], r["record_id"]): r["person_id"] for r in _rows(truth_dir / "links.csv")}
    person_of = person_of if person_of is not None else links
    participant_ref = {pid: rid for (source, rid), pid in links.items() if source == "housing_participants"}
    participants = []
    for row in _rows(truth_dir / "programme.csv"):
        ref = participant_ref[row["person_id"]]
        participants.append(
            (
                ref,
                person_of[("housing_participants", ref)],
                row["site"],
                _date(row["referral_date"]),
                date.fromisoformat(row["entry_date"]),
            )
        )
    tenancies = [
        (
            r["tenancy_id"],
            person_of[("housing_tenancies", r["tenancy_id"])],
            date.fromisoformat(r["start_date"]),
            _date(r["end_date"]),
            r["exit_reason"],
        )
        for r in _rows(truth_dir / "tenancies.csv")
    ]
    events: dict[str, list[dict]] = {}
    for source, (pattern, id_column) in EVENT_SOURCES.items():
        (path,) = sorted((data_dir / "landing").glob(pattern))[-1:]
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as handle:
                raw = [json.loads(line) for line in handle if line.strip()]
        elif source == "shelter_nights":  # French style: ';' and dd/mm/yyyy
            with path.open(encoding="utf-8", newline="") as handle:
                raw = [
                    row | {"night_date": "-".join(reversed(row["date_nuitee"].split("/")))}
                    for row in csv.DictReader(handle, delimiter=";")
                ]
        else:
            raw = _rows(path)
        events[source] = [
            {
                "person": person_of[(source, row[id_column])],
                **{k: v for k, v in row.items() if not k.endswith("_date")},
                **{k: _date(v or "") for k, v in row.items() if k.endswith("_date") and k != "birth_date"},
            }
            for row in raw
            if (source, row[id_column] or "") in links
        ]
    end = month_end(meta["period"])
    rows_read, quarantined = _file_counts(truth_dir, links)
    return Truth(
        observation_end=end,
        observed_to={source: end for source in rows_read},
        participants=participants,
        tenancies=tenancies,
        events=events,
        rows_read=rows_read,
        rows_quarantined=quarantined,
        truth_dir=truth_dir,
        person_of=person_of,
    )


def _file_counts(truth_dir: Path, links: dict[tuple[str, str], str]) -> tuple[dict[str, int], dict[str, int]]:
    """Rows and broken rows of the latest file of each source (extracts.csv, else links + invalid_rows)."""
    if (truth_dir / "extracts.csv").exists():
        latest: dict[str, dict[str, str]] = {}
        for row in _rows(truth_dir / "extracts.csv"):  # in sending order: a correction follows its month
            if row["kind"] != "superseded" and row["period"] >= latest.get(row["source"], {}).get("period", ""):
                latest[row["source"]] = row
        return (
            {source: int(row["rows"]) for source, row in latest.items()},
            {source: int(row["invalid_rows"]) for source, row in latest.items()},
        )
    quarantined: dict[str, int] = defaultdict(int)
    for row in _rows(truth_dir / "invalid_rows.csv"):
        quarantined[row["source"]] += 1
    valid: dict[str, int] = defaultdict(int)
    for source, _ in links:
        valid[source] += 1
    return {s: valid[s] + quarantined[s] for s in valid}, {s: quarantined[s] for s in valid}


@dataclass(frozen=True)
class _Person:
    person: str
    site: str
    cohort: str
    referral: date | None
    entry: date
    spells: tuple[tuple[date, date | None, str], ...]  # tenancies: start, end, exit reason, by start
    exit_date: date | None  # first tenancy end that is not a move
    exit_reason: str | None
    death: date | None


def _another_runs(spells: Iterable[tuple], start: date, end: date) -> bool:
    """Whether another of the person's tenancies (start, end, ...) runs on the day a tenancy from `start` ends on
    `end`: a second site or an overlap, the person still housed, so no programme exit."""
    return any((s, e) != (start, end) and s <= end and (e is None or e > end) for s, e, *_ in spells)


def _persons(truth: Truth) -> list[_Person]:
    """The persons as the models see them: a person's death is the earliest the housing operator (a tenancy ended
    by a death) or the hospital (a stay discharged as a death) reports; their programme exit is the operator's."""
    died_in_hospital = hospital_deaths(truth.events["health_encounters"], lambda row: row["person"])
    first: dict[str, tuple] = {}
    for _ref, person, site, referral, entry in sorted(truth.participants, key=lambda p: (p[4], p[0])):
        first.setdefault(person, (site, referral, entry))
    spells = defaultdict(list)
    for ref, person, start, end, reason in sorted(truth.tenancies, key=lambda t: (t[2], t[0])):
        spells[person].append((start, end, reason, ref))
    people = []
    for person, (site, referral, entry) in first.items():
        own = spells[person]
        exits = sorted(
            (end, ref, reason)
            for start, end, reason, ref in own
            if end and reason != "demenagement" and (reason == "deces" or not _another_runs(own, start, end))
        )
        deaths = [end for _, end, reason, _ in own if reason == "deces"]
        deaths += [died_in_hospital[person]] if person in died_in_hospital else []
        people.append(
            _Person(
                person,
                site,
                quarter(entry),
                referral,
                entry,
                tuple((start, end, reason) for start, end, reason, _ in own),
                exits[0][0] if exits else None,
                exits[0][2] if exits else None,
                min(deaths) if deaths else None,
            )
        )
    return people


def _days(start: date, end: date) -> set[int]:
    return set(range(start.toordinal(), end.toordinal()))


def _by_quarter(days: Iterable[int]) -> Counter[str]:
    """Days (ordinals) counted by calendar quarter."""
    return Counter(quarter(date.fromordinal(day)) for day in days)


def _observed_from(truth: Truth) -> dict[str, date]:
    """Each service source's earliest event: the first day its history covers."""
    return {
        "health_encounters": min(e["admission_date"] for e in truth.events["health_encounters"]),
        "justice_events": min(e["start_date"] for e in truth.events["justice_events"]),
        "shelter_nights": min(e["night_date"] for e in truth.events["shelter_nights"]),
    }


def _contributions(truth: Truth) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """(code, period, breakdown, person, site, cohort, numerator, denominator) per person-based indicator; the
    referral-to-entry days (period, person, site, cohort, days) for the median; and the contributions by
    reporting quarter (code, quarter, person, site, numerator, denominator): returns by the quarter their window
    closed, the measures over days by the days of each quarter. Measures counted from entry have none: their
    entry cohorts are their quarterly series."""
    end = truth.observation_end
    period = end.isoformat()
    out: list[tuple] = []
    referral_days: list[tuple] = []
    quarter_rows: list[tuple] = []
    people = _persons(truth)

    def add(code: str, breakdown: str, p: _Person, numerator: int, denominator: int, at: str = period) -> None:
        out.append((code, at, breakdown, p.person, p.site, p.cohort, numerator, denominator))

    observed_from = _observed_from(truth)
    employment_end = min(end, truth.observed_to["employment_contracts"])
    employment_from = min(c["start_date"] for c in truth.events["employment_contracts"])
    by_source = {s: defaultdict(list) for s in EVENT_SOURCES}
    for source, rows in truth.events.items():
        for row in rows:
            by_source[source][row["person"]].append(row)

    for p in people:
        # retention at 6, 12, 24 months
        for months in RETENTION_MONTHS:
            checkpoint = add_months(p.entry, months)
            if checkpoint > end:
                continue
            housed = any(s <= checkpoint and (e is None or e > checkpoint) for s, e, _ in p.spells)
            exits = sorted((e, r) for _, e, r in p.spells if e and e <= checkpoint and r != "demenagement")
            last = exits[-1][1] if exits else None
            if p.death is not None and p.death <= checkpoint:
                continue  # died on or before the checkpoint, whatever is recorded after the death
            add(f"housing_retention_{months}m", "all", p, int(housed or last == "logement_autonome"), 1)
        # referral to entry
        if p.referral is not None:
            add("housing_referral_to_entry_days", "all", p, (p.entry - p.referral).days, 1)
            referral_days.append((period, p.person, p.site, p.cohort, (p.entry - p.referral).days))
        # returns to homelessness after each move on to permanent housing (not only the first programme exit,
        # unless another tenancy still runs that day): the first later tenancy or shelter night
        nights = [n["night_date"] for n in by_source["shelter_nights"][p.person]]
        moves: list[tuple[date, date | None]] = []  # exit day, first return after it
        for s, e, r in p.spells:
            if r == "logement_autonome" and e and not _another_runs(p.spells, s, e):
                later = [t for t, _, _ in p.spells if t > e] + [n for n in nights if n > e]
                moves.append((e, min(later) if later else None))
        moves.sort(key=lambda m: m[0])
        # days stably housed: in a tenancy, or after each move on until the first return after it; a move dated
        # before the shelter's earliest night is not followed, its days to the return after it not observed
        until = min(p.death, end + timedelta(days=1)) if p.death else end + timedelta(days=1)
        housed_days: set[int] = set()
        observed_days = _days(p.entry, until)
        for s, e, _ in p.spells:
            housed_days |= _days(max(s, p.entry), min(e or until, until))
        for moved_on, returned_on in moves:
            episode = _days(moved_on, min(until, returned_on or until))
            if moved_on >= observed_from["shelter_nights"]:
                housed_days |= episode
            else:
                observed_days -= episode
        if observed_days:
            add("housing_days_stably_housed_share", "all", p, len(housed_days), len(observed_days))
        stable = _by_quarter(housed_days)
        quarter_rows += [
            ("housing_days_stably_housed_share", q, p.person, p.site, stable[q], observed)
            for q, observed in _by_quarter(observed_days).items()
        ]
        # returns after the person's first move on, if the shelter data observe its exit day (day 0 of its windows)
        if moves and moves[0][0] >= observed_from["shelter_nights"]:
            moved_on, returned_on = moves[0]
            to_return = (returned_on - moved_on).days if returned_on else None
            for first_day, last_day in RETURN_WINDOWS:
                if (end - moved_on).days >= last_day:
                    returned = to_return is not None and first_day <= to_return <= last_day
                    code = f"housing_returns_homelessness_{first_day}_{last_day}d"
                    add(code, "all", p, int(returned), 1)
                    closed = quarter(moved_on + timedelta(days=last_day))
                    quarter_rows.append((code, closed, p.person, p.site, int(returned), 1))
        # health and justice, 12 months before against after
        windows = {
            "before": (add_months(p.entry, -12), p.entry),
            "after": (p.entry, add_months(p.entry, 12)),
        }
        for source in SERVICE_SOURCES:
            if not all(
                start >= observed_from[source]
                and stop <= truth.observed_to[source] + timedelta(days=1)
                and (p.death is None or p.death >= stop)
                for start, stop in windows.values()
            ):
                continue
            rows = by_source[source][p.person]
            costs: dict[str, Decimal] = defaultdict(Decimal)
            for name, (start, stop) in windows.items():
                amounts = _service_use(source, rows, start, stop)
                for measure, amount in amounts.items():
                    add(measure, name, p, amount, 1)
                    if measure in UNIT_COSTS:
                        sector, cost = UNIT_COSTS[measure]
                        costs[sector] += (1 if name == "before" else -1) * amount * cost
            for sector, avoided in costs.items():
                add(f"cost_avoided_{sector}", "all", p, avoided, 1)
        # work or training at 12 and 24 months, on a checkpoint within the employment history (from its earliest
        # contract to its extract's end)
        for months in EMPLOYMENT_MONTHS:
            checkpoint = add_months(p.entry, months)
            if not employment_from <= checkpoint <= employment_end or (p.death is not None and p.death <= checkpoint):
                continue
            working = any(
                c["start_date"] <= checkpoint and (c["end_date"] is None or c["end_date"] >= checkpoint)
                for c in by_source["employment_contracts"][p.person]
            )
            add(f"employment_in_work_or_training_{months}m", "all", p, int(working), 1)
            # weekly hours and monthly pay under contract the day before entry and at 12 months, for people the
            # employment source observes the day before entry (on or after its earliest contract)
            if months == 12 and p.entry - timedelta(days=1) >= employment_from:
                running = {
                    side: [
                        c
                        for c in by_source["employment_contracts"][p.person]
                        if c["start_date"] <= day and (c["end_date"] is None or c["end_date"] >= day)
                    ]
                    for side, day in (("before", p.entry - timedelta(days=1)), ("after", checkpoint))
                }
                for side, contracts in running.items():
                    hours = sum((Decimal(c["hours_per_week"] or "0") for c in contracts), Decimal(0))
                    add("employment_weekly_hours", side, p, hours, 1)
                # income: only persons whose contracts running on either day all carry their pay
                if all(c["monthly_gross_pay"] for contracts in running.values() for c in contracts):
                    for side, contracts in running.items():
                        pay = sum((Decimal(c["monthly_gross_pay"]) for c in contracts), Decimal(0))
                        add("employment_monthly_income", side, p, pay, 1)
        # data quality: participants linked to each partner source
        for source in EVENT_SOURCES:
            linked = int(bool(by_source[source][p.person]))
            add("dq_participants_linked", source, p, linked, 1, truth.observed_to[source].isoformat())
    family, family_quarters = _family_contributions(truth, people, period)
    return out + family, referral_days, quarter_rows + family_quarters


def _service_use(source: str, rows: list[dict], start: date, stop: date) -> dict[str, int]:
    def inside(day: date) -> bool:
        return start <= day < stop

    window = _days(start, stop)
    if source == "health_encounters":
        stays = [r for r in rows if r["encounter_type"] == "hospitalisation"]

        def nights(service: str | None) -> int:
            covered: set[int] = set()
            for r in stays:
                if service is None or r["service"] == service:
                    covered |= _days(r["admission_date"], r["discharge_date"]) & window
            return len(covered)

        return {
            "health_emergency_visits": sum(
                r["encounter_type"] == "urgence" and inside(r["admission_date"]) for r in rows
            ),
            "health_admissions": sum(inside(r["admission_date"]) for r in stays),
            "health_admissions_general": sum(inside(r["admission_date"]) and r["service"] == "general" for r in stays),
            "health_admissions_psychiatric": sum(
                inside(r["admission_date"]) and r["service"] == "psychiatrie" for r in stays
            ),
            "health_hospital_days": nights(None),
            "health_hospital_days_general": nights("general"),
            "health_hospital_days_psychiatric": nights("psychiatrie"),
        }
    if source == "shelter_nights":
        return {"shelter_nights": len({r["night_date"] for r in rows if inside(r["night_date"])})}
    jailed: set[int] = set()
    for r in rows:
        if r["event_type"] == "incarceration":
            jailed |= _days(r["start_date"], r["end_date"] or stop) & window
    return {
        "justice_custody_events": sum(r["event_type"] == "garde_a_vue" and inside(r["start_date"]) for r in rows),
        "justice_incarceration_days": len(jailed),
    }


def _totals(site: str, cohort: str) -> tuple[tuple[str, str], ...]:
    return ((site, cohort), (site, "all"), ("all", cohort), ("all", "all"))


def indicator_cells(
    data_dir: Path, person_of: dict[tuple[str, str], str] | None = None, arrived: dict[str, date] | None = None
) -> dict[CellKey, IndicatorCell]:
    """Every cell of marts.indicator_cells (before disclosure control), keyed as the table is. `arrived`: the
    day each source's extract was loaded (not the generator's to know), for the extracts' arrival delays."""
    truth = load_truth(data_dir, person_of)
    contributions, referral_days, quarter_rows = _contributions(truth)
    sums: dict[CellKey, list] = defaultdict(lambda: [0, 0, set()])
    for code, period, breakdown, person, site, cohort, numerator, denominator in contributions:
        for s, c in _totals(site, cohort):
            cell = sums[(code, period, s, c, breakdown)]
            cell[0] += numerator
            cell[1] += denominator
            cell[2].add(person)
    for code, at, person, site, numerator, denominator in quarter_rows:
        for s in (site, "all"):
            cell = sums[(code, at, s, "all", "all")]
            cell[0] += numerator
            cell[1] += denominator
            cell[2].add(person)
    cells = {
        key: IndicatorCell(_whole(n), d, float(n) * VALUE_SCALE.get(key[0], 1) / d if d else None, len(persons))
        for key, (n, d, persons) in sums.items()
    }
    medians: dict[CellKey, dict[str, int]] = defaultdict(dict)
    for period, person, site, cohort, days in referral_days:
        for s, c in _totals(site, cohort):
            medians[("housing_referral_to_entry_days_median", period, s, c, "all")][person] = days
    for key, days in medians.items():
        cells[key] = IndicatorCell(None, len(days), float(statistics.median(days.values())), len(days))
    for source, read in truth.rows_read.items():
        quarantined = truth.rows_quarantined[source]
        key = ("dq_rows_quarantined", truth.observed_to[source].isoformat(), "all", "all", source)
        cells[key] = IndicatorCell(quarantined, read, quarantined / read, None)
    for source, day in (arrived or {}).items():
        delay = (day - truth.observed_to[source]).days
        cells[("dq_extract_delay_days", truth.observed_to[source].isoformat(), "all", "all", source)] = IndicatorCell(
            delay, 1, float(delay), None
        )
    cells.update(_aggregate_cells(truth, contributions))
    return cells


def retention_curve(data_dir: Path) -> dict[tuple[str, int], tuple[int, int, float]]:
    """(site or 'all', month) -> (at risk, events, Kaplan-Meier survival) of time housed since entry."""
    truth = load_truth(data_dir)
    end = truth.observation_end
    times: dict[str, list[tuple[int, bool]]] = defaultdict(list)
    for p in _persons(truth):
        lost = p.exit_date is not None and p.exit_reason not in ("logement_autonome", "deces")
        if lost:
            months = months_reached(p.entry, p.exit_date)
        elif p.death is not None:  # whatever exit came before it
            months = months_reached(p.entry, p.death) - 1
        else:
            months = completed_months(p.entry, end)
        times[p.site].append((months, lost))
        times["all"].append((months, lost))
    curve = {}
    for site, spells in times.items():
        survival = 1.0
        for month in range(max(m for m, _ in spells) + 1):
            at_risk = sum(m >= month for m, _ in spells)
            events = sum(m == month and lost for m, lost in spells)
            survival *= 1 - events / at_risk
            curve[(site, month)] = (at_risk, events, survival)
    return curve


def _entries_and_last_days(ground_truth: Path) -> tuple[dict[str, date], dict[str, date]]:
    """Entry date and last observable day (the true death, or as_of) of every person."""
    as_of = date.fromisoformat(json.loads((ground_truth / "meta.json").read_text())["as_of"])
    entries = {p["person_id"]: date.fromisoformat(p["entry_date"]) for p in _rows(ground_truth / "programme.csv")}
    last = dict.fromkeys(entries, as_of)
    for row in _rows(ground_truth / "deaths.csv"):
        last[row["person_id"]] = date.fromisoformat(row["death_date"])
    return entries, last


def shelter_nights_before_after(ground_truth: Path, months: int = 12) -> tuple[float, float]:
    """Shelter nights per person-year in the `months` before entry and the `months` from entry on,
    for people observed that long after entry (everyone is observed two years before)."""
    entries, last = _entries_and_last_days(ground_truth)
    eligible = {p for p, e in entries.items() if e + relativedelta(months=months) <= last[p]}
    before = after = 0
    for stay in _rows(ground_truth / "shelter_stays.csv"):
        person = stay["person_id"]
        if person not in eligible:
            continue
        entry, first = entries[person], date.fromisoformat(stay["first_night"])
        for offset in range(int(stay["nights"])):
            night = first + timedelta(days=offset)
            before += entry - relativedelta(months=months) <= night < entry
            after += entry <= night < entry + relativedelta(months=months)
    years = len(eligible) * months / 12
    return before / years, after / years


def survey_scores(ground_truth: Path) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(site, quarter) -> responses, mean housing satisfaction (1-5), mean quality of life (0-10); with 'all' sites."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for row in _rows(ground_truth / "survey_responses.csv"):
        for key in ((row["site"], row["quarter"]), ("all", row["quarter"])):
            sums[key][0] += 1
            sums[key][1] += int(row["satisfaction_housing"])
            sums[key][2] += int(row["quality_of_life"])
    return {key: (int(n), s / n, q / n) for key, (n, s, q) in sums.items()}


# --- Tenants' voice, landlords, peer support, costs and funders -------------------------------------------------
#
# Recomputed from ground_truth/ (support contacts, leases, incidents, claims, survey, council, conventions,
# clauses) and the indicative unit costs of the dbt seed (an input, like the generator's rates).

SEEDS_DIR = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"
UNIT_COSTS = {  # fct_service_use measure -> (sector, unit cost in euros)
    row["measure"]: (row["sector"], Decimal(row["unit_cost_eur"])) for row in _rows(SEEDS_DIR / "unit_costs.csv")
}
VALUE_SCALE = {  # value = numerator / denominator * scale
    "landlord_incidents_per_100_tenancies": 100,
    "landlord_guarantee_claims_per_100_tenancies": 100,
    "peer_support_hours_per_person_year": 365.25 / 60,  # minutes over days in a tenancy
}
COST_SECTORS = {"sante": "health", "justice": "justice", "hebergement": "shelter"}  # funder sector -> cost sector
DAYS_PER_YEAR = Decimal("365.25")


def _whole(amount: int | Decimal) -> int:
    """Round to a whole number as PostgreSQL casts numeric to integer: halves away from zero."""
    return int(Decimal(amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def quarter_end(label: str) -> str:
    year, number = label.split("-Q")
    return month_end(f"{year}-{int(number) * 3:02d}").isoformat()


def _committed_to_date(row: dict[str, str], end: date) -> Decimal:
    """A convention line's commitment up to the observation end (fct_funder_portfolio): a past year whole, the
    year in progress pro rata of its days observed, a later year nothing."""
    first, following = date(int(row["year"]), 1, 1), date(int(row["year"]) + 1, 1, 1)
    observed = min(max((end - first).days + 1, 0), (following - first).days)
    return Decimal(row["committed"]) * observed / (following - first).days


def _observed_until(p: _Person, end: date) -> date:
    return min(p.death, end + timedelta(days=1)) if p.death else end + timedelta(days=1)


def _lease_quarters(lease: dict[str, str], end: date) -> list[str]:
    """The quarters a lease of leases.csv runs in up to the observation end: from its start to its tenancy's end,
    that day included, or to the observation end."""
    last = min(_date(lease["end_date"]) or end, end)
    first = date.fromisoformat(lease["start_date"])
    day = date(first.year, first.month - (first.month - 1) % 3, 1)
    labels = []
    while day <= last and first <= last:
        labels.append(quarter(day))
        day += relativedelta(months=3)
    return labels


def _family_contributions(truth: Truth, people: list[_Person], period: str) -> tuple[list[tuple], list[tuple]]:
    """Per-person contributions of the peer-support and landlord indicators, and the quarterly ones (code,
    quarter, person, site, numerator, denominator) of peer-support hours (minutes, days in a tenancy) and of the
    landlord indicators (the incidents, claims and conversions of the quarter, against the leases running in it)."""
    assert truth.truth_dir is not None and truth.person_of is not None
    truth_dir, person_of, end = truth.truth_dir, truth.person_of, truth.observation_end
    out: list[tuple] = []
    quarters: list[tuple] = []

    def add(code: str, p: _Person, numerator: int | Decimal, denominator: int) -> None:
        if denominator > 0:
            out.append((code, period, "all", p.person, p.site, p.cohort, numerator, denominator))

    peer_contacts: dict[str, list[tuple[int, int]]] = defaultdict(list)  # person -> (day ordinal, minutes)
    for row in _rows(truth_dir / "support_contacts.csv"):
        if row["kind"] == "pair_aidance":
            person = person_of[("housing_support_contacts", row["contact_id"])]
            peer_contacts[person].append((_date(row["contact_date"]).toordinal(), int(row["minutes"])))

    # each tenant's landlord measures over the whole observation ("all") and by quarter of report, claim,
    # conversion and lease running, up to the observation end (an incident or claim after it counts in neither)
    tenants: dict[str, dict[str, dict[str, int | Decimal]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for row in _rows(truth_dir / "leases.csv"):
        tenant = tenants[person_of[("landlord_leases", "L" + row["tenancy_id"][1:])]]
        tenant["all"]["leases"] += 1
        # the conversions, incidents and claims, counted up to the end, are set against the leases started by then
        tenant["all"]["leases_to_end"] += _date(row["start_date"]) <= end
        for label in _lease_quarters(row, end):
            tenant[label]["leases_to_end"] += 1
        # a conversion counts while its lease runs, to its tenancy's end (that day included) or the observation end
        converted = _date(row["converted_date"])
        if converted and converted <= min(_date(row["end_date"]) or end, end):
            tenant["all"]["converted"] += 1
            tenant[quarter(converted)]["converted"] += 1
    for row in _rows(truth_dir / "landlord_incidents.csv"):
        reported = _date(row["reported_date"])
        if reported > end:
            continue
        for at in ("all", quarter(reported)):
            tenant = tenants[person_of[("landlord_incidents", row["incident_id"])]][at]
            tenant["incidents"] += 1
            # a first response, then the resolution; each may be unknown, and a resolution answers at the latest
            reached = {"responded": row["responded_date"] or row["resolved_date"], "resolved": row["resolved_date"]}
            for stage, day in reached.items():
                if day:
                    tenant[stage] += 1
                    tenant[f"days_{stage}"] += (_date(day) - reported).days
    for row in _rows(truth_dir / "guarantee_claims.csv"):
        claimed = _date(row["claim_date"])
        if claimed > end:
            continue
        for at in ("all", quarter(claimed)):
            tenant = tenants[person_of[("landlord_guarantee_claims", row["claim_id"])]][at]
            tenant["claims"] += 1
            tenant["claimed"] += Decimal(row["amount"])
            if row["status"] == "payee":
                tenant["paid_claims"] += 1
                tenant["paid"] += Decimal(row["amount"])

    for p in people:
        until = _observed_until(p, end)
        housed: set[int] = set()
        for start, stop, _ in p.spells:
            housed |= _days(max(start, p.entry), min(stop or until, until))
        # peer-support hours: the contacts dated on a day in a programme tenancy since entry (before death)
        peer_by_quarter: Counter[str] = Counter()
        for day, minutes in peer_contacts.get(p.person, []):
            if day in housed:
                peer_by_quarter[quarter(date.fromordinal(day))] += minutes
        add("peer_support_met_share", p, int(p.person in peer_contacts), 1)
        add("peer_support_hours_per_person_year", p, sum(peer_by_quarter.values()), len(housed))
        quarters += [
            ("peer_support_hours_per_person_year", q, p.person, p.site, peer_by_quarter[q], days)
            for q, days in _by_quarter(housed).items()
        ]
        tenant = tenants.get(p.person)
        if not tenant or not tenant["all"]["leases"]:
            continue
        for at, t in tenant.items():
            measures = {
                "landlord_incidents_per_100_tenancies": (t["incidents"], t["leases_to_end"]),
                "landlord_incident_response_days": (t["days_responded"], t["responded"]),
                "landlord_incident_resolution_days": (t["days_resolved"], t["resolved"]),
                "landlord_guarantee_claims_per_100_tenancies": (t["claims"], t["leases_to_end"]),
                "landlord_guarantee_amount_claimed": (Decimal(t["claimed"]), t["claims"]),
                "landlord_guarantee_amount_paid": (Decimal(t["paid"]), t["paid_claims"]),
                "landlord_leases_converted_share": (t["converted"], t["leases_to_end"]),
            }
            for code, (numerator, denominator) in measures.items():
                if at == "all":
                    add(code, p, numerator, denominator)
                elif numerator or denominator:  # a claim after the leases ended counts in its quarter
                    quarters.append((code, at, p.person, p.site, numerator, denominator))
    return out, quarters


def _clause_entrants_awaited(truth: Truth, people: list[_Person]) -> Counter[tuple[str, str, int]]:
    """(clause indicator, site, entry year) -> its entrants whose measure is still to come: alive on a 12-month
    checkpoint past the observation end (and past the employment extract's, for work); for the change in
    emergency visits, alive through a year after entry that the hospital's extracts do not reach yet, the year
    before it within their history. Those who died before, or entered under a year after the hospital's first
    records, are out of the measure for good."""
    end = truth.observation_end
    employment_end = min(end, truth.observed_to["employment_contracts"])
    health_from = _observed_from(truth)["health_encounters"]
    health_to = truth.observed_to["health_encounters"] + timedelta(days=1)
    awaited: Counter[tuple[str, str, int]] = Counter()
    for p in people:
        checkpoint = add_months(p.entry, 12)
        alive = p.death is None or p.death > checkpoint
        for clause, observed_to in (("housing_retention_12m", end), ("employment_in_work_12m", employment_end)):
            awaited[(clause, p.site, p.entry.year)] += alive and checkpoint > observed_to
        awaited[("health_emergency_visits_change", p.site, p.entry.year)] += (
            (p.death is None or p.death >= checkpoint)
            and add_months(p.entry, -12) >= health_from
            and checkpoint > health_to
        )
    return awaited


def _aggregate_cells(truth: Truth, contributions: list[tuple]) -> dict[CellKey, IndicatorCell]:
    """The cells that are not sums over persons: voice, partner landlords, costs, funders, clauses."""
    assert truth.truth_dir is not None
    truth_dir, end = truth.truth_dir, truth.observation_end
    period = end.isoformat()
    cells: dict[CellKey, IndicatorCell] = {}

    # tenants' voice, per site and quarter, with all sites
    answers: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in _rows(truth_dir / "survey_responses.csv"):
        for site in (row["site"], "all"):
            sums = answers[(site, row["quarter"])]
            sums[0] += 1
            sums[1] += int(row["satisfaction_housing"])
            sums[2] += int(row["satisfaction_support"])
            sums[3] += int(row["quality_of_life"])
    for (site, label), (n, housing, support, life) in answers.items():
        for code, total in (
            ("voice_satisfaction_housing", housing),
            ("voice_satisfaction_support", support),
            ("voice_quality_of_life", life),
        ):
            cells[(code, quarter_end(label), site, "all", "all")] = IndicatorCell(total, n, total / n, n)
    # sessions held, actions decided, and sessions whose minutes give their actions (the actions' denominator)
    sessions: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in _rows(truth_dir / "council_sessions.csv"):
        for site in (row["site"], "all"):
            held = sessions[(site, quarter(date.fromisoformat(row["session_date"])))]
            held[0] += 1
            if row["actions_decided"]:
                held[1] += int(row["actions_decided"])
                held[2] += 1
    for (site, label), (held, actions, known) in sessions.items():
        key = (quarter_end(label), site, "all", "all")
        cells[("voice_council_sessions", *key)] = IndicatorCell(held, None, float(held), None)
        if known:
            cells[("voice_council_actions", *key)] = IndicatorCell(actions, known, actions / known, None)

    # partner landlords, by site and kind: over the whole observation, and by quarter those with a lease running
    landlords: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for row in _rows(truth_dir / "leases.csv"):
        for at in (period, *_lease_quarters(row, end)):
            for site in (row["site"], "all"):
                for kind in (row["landlord_type"] or "all", "all"):  # no kind: counted in 'all' only
                    landlords[(at, site, kind)].add(row["landlord_id"])
    for (at, site, kind), ids in landlords.items():
        cells[("landlord_partner_landlords", at, site, "all", kind)] = IndicatorCell(
            len(ids), None, float(len(ids)), None
        )

    # programme cost per person-year housed, costs avoided, net cost and cost-offset ratio, by site: what was
    # committed to date against the days housed at the site in the years its funders committed something; all
    # sites together over the sites with such a cost only (a site without a convention adds neither its persons
    # nor its avoided costs)
    conventions = _rows(truth_dir / "conventions.csv")
    people = _persons(truth)
    participants: Counter[str] = Counter()
    housed_in: Counter[tuple[str, int]] = Counter()  # (site, year) -> days housed, to the observation end
    for p in people:
        stop = end + timedelta(days=1)
        housed: set[int] = set()
        for start, finish, _ in p.spells:
            housed |= _days(start, min(finish or stop, stop))
        housed_in.update((p.site, date.fromordinal(day).year) for day in housed)
        participants[p.site] += 1
    committed: dict[str, Decimal] = defaultdict(Decimal)
    site_years: dict[tuple[str, int], Decimal] = defaultdict(Decimal)  # (site, year) -> committed that year
    for row in conventions:
        site_years[(row["site"], int(row["year"]))] += Decimal(row["committed"])
        committed[row["site"]] += _committed_to_date(row, end)
    days_housed: Counter[str] = Counter({site: 0 for site in participants})
    for (site, year), engaged in site_years.items():
        if engaged > 0 and site in days_housed:
            days_housed[site] += housed_in[(site, year)]
    avoided: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0])  # (site, sector) -> sum, persons
    for code, _, _, _, site, _, numerator, _ in contributions:
        if code.startswith("cost_avoided_"):
            avoided[(site, code.removeprefix("cost_avoided_"))][0] += numerator
            avoided[(site, code.removeprefix("cost_avoided_"))][1] += 1
    costed = [site for site in participants if committed[site] > 0 and days_housed[site] > 0]
    for site in costed:
        participants["all"] += participants[site]
        committed["all"] += committed[site]
        days_housed["all"] += days_housed[site]
        for sector in ("health", "justice", "shelter"):
            if (site, sector) in avoided:
                total, persons = avoided[(site, sector)]
                avoided[("all", sector)][0] += total
                avoided[("all", sector)][1] += persons
    for site in (*costed, "all") if costed else ():  # a site without a programme cost has no cost cell
        days = days_housed[site]
        programme = committed[site] * DAYS_PER_YEAR / days
        cells[("cost_programme_per_person_year", period, site, "all", "all")] = IndicatorCell(
            _whole(committed[site]), days, float(programme), participants[site]
        )
        sectors = [avoided[(site, sector)] for sector in ("health", "justice", "shelter") if (site, sector) in avoided]
        if len(sectors) == 3:
            per_year = sum(total / persons for total, persons in sectors)
            persons = min(min(persons for _, persons in sectors), participants[site])
            key = (period, site, "all", "all")
            cells[("cost_net_per_person_year", *key)] = IndicatorCell(None, None, float(programme - per_year), persons)
            cells[("cost_offset_ratio", *key)] = IndicatorCell(None, None, float(per_year / programme), persons)

    # funders: committed and paid per sector, site and year; costs avoided in their sector against commitment
    yearly: dict[tuple[str, int, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    funded: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    funded_in: dict[tuple[str, str, str, int], Decimal] = defaultdict(Decimal)  # the same, year by year
    for row in conventions:
        breakdown = f"{row['funder_code']}:{row['sector']}"
        for site in (row["site"], "all"):
            yearly[(breakdown, int(row["year"]), site)][0] += Decimal(row["committed"])
            yearly[(breakdown, int(row["year"]), site)][1] += Decimal(row["paid"])
        if row["sector"] in COST_SECTORS:
            to_date = _committed_to_date(row, end)
            funded[(breakdown, row["sector"], row["site"])] += to_date
            funded_in[(breakdown, row["sector"], row["site"], int(row["year"]))] += to_date
    for (breakdown, year, site), (engaged, paid) in yearly.items():
        key = (f"{year}-12-31", site, "all", breakdown)
        cells[("funder_committed", *key)] = IndicatorCell(_whole(engaged), None, float(engaged), None)
        if engaged > 0:
            cells[("funder_paid_share", *key)] = IndicatorCell(
                _whole(paid), _whole(engaged), float(paid / engaged), None
            )
    # each funder's commitment in a sector at a site is set against the days housed there in the years it
    # committed something; the sector's avoided costs there are shared between its funders year by year, pro rata
    # to what each commits that year (nothing credited while they all have committed nothing yet); its all-sites
    # cell adds up every site where it has a commitment per person-year (not one whose convention starts later),
    # one with no avoided costs in its sector yet (nobody observed a year after entry) adding its money and days
    funder_days: dict[tuple[str, str], int] = defaultdict(int)
    for (breakdown, year, site), (engaged, _) in yearly.items():
        if site != "all" and engaged > 0:
            funder_days[(breakdown, site)] += housed_in[(site, year)]
    sector_in: dict[tuple[str, str, int], Decimal] = defaultdict(Decimal)
    for (_, sector, site, year), engaged in funded_in.items():
        sector_in[(sector, site, year)] += engaged
    shared_days: dict[tuple[str, str], Decimal] = defaultdict(Decimal)  # days housed, each by its year's share
    for (breakdown, sector, site, year), engaged in funded_in.items():
        if yearly[(breakdown, year, site)][0] > 0 and sector_in[(sector, site, year)]:
            shared_days[(breakdown, site)] += housed_in[(site, year)] * engaged / sector_in[(sector, site, year)]
    offsets: dict[tuple[str, str], list] = defaultdict(lambda: [Decimal(0), 0, Decimal(0), 0])
    for (breakdown, sector, site), engaged in funded.items():
        observed = (site, COST_SECTORS[sector]) in avoided  # else no cell at the site
        total, persons = avoided[(site, COST_SECTORS[sector])] if observed else (0, 0)
        days = funder_days[(breakdown, site)]
        credited = total * shared_days[(breakdown, site)] / days if days else 0
        for s in (*((site,) if observed else ()), *(("all",) if days and engaged > 0 else ())):
            sums = offsets[(breakdown, s)]
            sums[0] += credited
            sums[1] += persons
            sums[2] += engaged
            sums[3] += days
    for (breakdown, site), (total, persons, engaged, days) in offsets.items():
        if not persons:  # nobody observed at any of its sites yet: no all-sites cell
            continue
        value = (total / persons) / (engaged * DAYS_PER_YEAR / days) if engaged and days else None
        cells[("funder_cost_offset_ratio", period, site, "all", breakdown)] = IndicatorCell(
            None, None, None if value is None else float(value), persons
        )

    # pay-for-performance clauses, measured on the people who entered at the site in the clause's year; the
    # payment due only once none of them is still to be measured
    clauses = _rows(truth_dir / "pfp_clauses.csv")
    awaited = _clause_entrants_awaited(truth, people) if clauses else Counter()  # no clause: no source to read
    measures: dict[tuple[str, str, int], list] = defaultdict(lambda: [0, 0, set()])
    for code, _, breakdown, person, site, cohort, numerator, denominator in contributions:
        year = int(cohort[:4])
        if code in ("housing_retention_12m", "employment_in_work_or_training_12m"):
            clause = "housing_retention_12m" if code.startswith("housing") else "employment_in_work_12m"
            measure = measures[(clause, site, year)]
            measure[0] += numerator
            measure[1] += denominator
        elif code == "health_emergency_visits":
            measure = measures[("health_emergency_visits_change", site, year)]
            measure[0] += numerator if breakdown == "after" else -numerator
            measure[1] += numerator if breakdown == "before" else 0
        else:
            continue
        measure[2].add(person)
    for row in clauses:
        breakdown = f"{row['funder_code']}:{row['indicator_code']}:{row['clause_id']}"  # each tier its own clause
        key = (f"{row['year']}-12-31", row["site"], "all", breakdown)
        cells[("pfp_target", *key)] = IndicatorCell(None, None, float(row["target"]), None)
        numerator, denominator, persons = measures.get(
            (row["indicator_code"], row["site"], int(row["year"])), (0, 0, ())
        )
        if not denominator:
            continue
        value, target = Fraction(numerator, denominator), Fraction(row["target"])
        met = value <= target if row["indicator_code"] == "health_emergency_visits_change" else value >= target
        payment = Decimal(row["payment"])
        due = payment if met else Decimal(0)
        cells[("pfp_indicator_value", *key)] = IndicatorCell(numerator, denominator, float(value), len(persons))
        if not awaited[(row["indicator_code"], row["site"], int(row["year"]))]:
            cells[("pfp_payment_due", *key)] = IndicatorCell(_whole(due), _whole(payment), float(due), len(persons))
    return cells
