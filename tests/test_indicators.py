"""Every indicator the warehouse publishes, recomputed in plain Python from the generator's truth, for two seeds.

The pipeline (ingestion + dbt, through Dagster) runs once per seed. Housing indicators and file counts must equal
the truth computed on true persons. Indicators that join another partner's records to the participants (health,
justice, employment, linkage) depend on person linkage, which splits a few persons over two keys: they must
equal the truth recomputed with the pipeline's own linkage (each valid row mapped to the key it was given), and
stay close to the truth on true persons (the gap is measured and bounded).
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from dateutil.relativedelta import relativedelta

from orchestration.instance import run_refresh
from pipelines.sample.generate import DEFAULT_AS_OF, generate
from pipelines.settings import Settings, get_settings
from pseudonymisation.keys import load_key, new_key
from pseudonymisation.link_keys import record_key
from tests.conftest import create_database
from tests.ground_truth import (
    DAYS_PER_YEAR,
    EVENT_SOURCES,
    RETURN_WINDOWS,
    SEEDS_DIR,
    VALUE_SCALE,
    IndicatorCell,
    indicator_cells,
    retention_curve,
)

PERSONS = 500
SEEDS = (5, 23)
DEMO_PERSONS, DEMO_SEED = 2000, 7  # as `abord demo`
MID_YEAR = date(2025, 6, 30)  # 2024's later entrants are not yet observed 12 months after entry
MIN_CELL_PERSONS = 11
QUARTER = re.compile(r"\d{4}-Q[1-4]")  # a reporting quarter's period
VALUE_TOLERANCE = 5.0001e-5  # the warehouse rounds to 4 decimals
LINKED_SOURCES = (
    "health_",
    "justice_",
    "employment_",
    "shelter_",
    "housing_returns_",
    "dq_participants_linked",
    "cost_avoided_",
    "cost_net_",
    "cost_offset_",
    "funder_cost_offset_",
    "pfp_indicator_value",
    "pfp_payment_due",
)
# Linked indicators that net use before entry against use after (costs avoided and what is built on them, the
# clauses' changes): linkage can move them either way, so only their populations must agree and their
# all-sites, all-cohorts values stay within the gap of the truth's.
NETTED = ("cost_", "funder_cost_offset_", "pfp_")
# Linked indicators whose population also depends on the partner's records: income counts only persons whose
# running contracts all carry their pay, so a contract without pay that linkage kept from its person lets the
# person in. Their populations can only grow, and their all-sites, all-cohorts values stay within the gap.
PAY_KNOWN = ("employment_monthly_income",)
MAX_LINKAGE_GAP = 0.15  # share of an all-sites, all-cohorts numerator that linkage may lose (plus 3)


def _query(url: str, sql: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _linkage(url: str, data: Path, key_file: Path) -> dict[tuple[str, str], str]:
    """(source, record id) -> the person key the pipeline gave that row."""
    key = load_key(key_file)
    sources = [r[0] for r in _query(url, "select distinct source from audit.batches")]
    assigned: dict[str, str] = {}
    for source in sources:
        columns = {
            r[0]
            for r in _query(
                url,
                f"select column_name from information_schema.columns"
                f" where table_schema = 'raw' and table_name = '{source}'",
            )
        }
        if {"record_ref", "person_key"} <= columns:
            assigned.update(dict(_query(url, f"select record_ref, person_key from raw.{source}")))
    with (data / "ground_truth" / "links.csv").open(encoding="utf-8") as handle:
        return {
            (row["source"], row["record_id"]): assigned[ref]
            for row in csv.DictReader(handle)
            if (ref := record_key(key, row["source"], row["record_id"])) in assigned
        }


def _build(
    tmp_path: Path,
    pg_admin_url: str,
    persons: int,
    seed: int,
    as_of: date = DEFAULT_AS_OF,
    edit: Callable[[Path], None] | None = None,
) -> tuple[Path, str, Settings]:
    """Sample extracts of `persons` persons up to `as_of` (changed by `edit` first, given the data folder),
    ingested and modelled by the refresh job on a new database."""
    generate(tmp_path, persons=persons, seed=seed, as_of=as_of)
    if edit is not None:
        edit(tmp_path)
    new_key(tmp_path / "abord.key")
    url = create_database(pg_admin_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ABORD_DATA_DIR", str(tmp_path))
        patch.setenv("ABORD_DATABASE_URL", url)
        patch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
        settings = get_settings()
        assert run_refresh(settings), "the refresh job failed"
    return tmp_path, url, settings


def _cells(url: str) -> dict[tuple, IndicatorCell]:
    """marts.indicator_cells, keyed by (indicator, period, site, cohort, breakdown)."""
    return {
        tuple(row[:5]): IndicatorCell(*row[5:])
        for row in _query(
            url,
            "select indicator_code, period, site, cohort, breakdown, numerator, denominator, value, persons"
            " from marts.indicator_cells",
        )
    }


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str):
    data, url, settings = _build(
        tmp_path_factory.mktemp(f"indicators_{request.param}"), pg_admin_url, PERSONS, request.param
    )
    cells = _cells(url)
    # One month per source here: it arrived with the first usable file loaded for it.
    first_loads = "select source, min(loaded_at) from audit.batches where status in ('loaded', 'replaced') group by 1"
    arrived = {source: loaded_at.date() for source, loaded_at in _query(url, first_loads)}
    yield SimpleNamespace(
        data=data,
        url=url,
        cells=cells,
        truth=indicator_cells(data, arrived=arrived),
        linked_truth=indicator_cells(data, _linkage(url, data, settings.key_file), arrived),
    )


def test_the_catalogue_scales_values_as_the_truth_does() -> None:
    """indicator_cells and the dashboards multiply numerator / denominator by the catalogue's scale: the factor
    the truth computes each value with, 1 where it has none (empty in the catalogue: no ratio to scale)."""
    with (SEEDS_DIR / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        catalogue = {row["indicator_code"]: float(row["scale"]) for row in csv.DictReader(handle) if row["scale"]}
    truth = {**VALUE_SCALE, "cost_programme_per_person_year": DAYS_PER_YEAR}
    expected = {code: 1.0 for code in catalogue} | {code: float(scale) for code, scale in truth.items()}
    assert catalogue == expected


# "de" and "le" before a vowel or a mute h, which French elides ("d'hospitalisations", "l'entrée")
UNELIDED = re.compile(r"\b(?:de|le) (?:[aeiouyàâéèêëîïôûü]|h(?:[oô]pita|ospitalis|[ée]bergement|eure))", re.IGNORECASE)


def test_the_catalogue_french_elides_before_a_vowel() -> None:
    """The committee reads the French names and definitions as written: "Nombre d'hospitalisations"."""
    with (SEEDS_DIR / "indicator_catalogue.csv").open(encoding="utf-8") as handle:
        unelided = {
            (row["indicator_code"], match.group())
            for row in csv.DictReader(handle)
            for field in ("name_fr", "definition_fr")
            for match in UNELIDED.finditer(row[field])
        }
    assert not unelided


def _differences(expected: dict, actual: dict) -> list[str]:
    problems = [f"missing {key}" for key in expected.keys() - actual.keys()]
    problems += [f"unexpected {key}" for key in actual.keys() - expected.keys()]
    for key in expected.keys() & actual.keys():
        want, got = expected[key], actual[key]
        if (want.numerator, want.denominator, want.persons) != (got.numerator, got.denominator, got.persons):
            problems.append(f"{key}: truth {want}, warehouse {got}")
        elif (want.value is None) != (got.value is None) or (
            want.value is not None and abs(float(got.value) - want.value) > VALUE_TOLERANCE
        ):
            problems.append(f"{key}: truth value {want.value}, warehouse {got.value}")
    return problems


def _overall(key: tuple) -> bool:
    """Whether a cell is an indicator's total: all sites and cohorts over the whole observation."""
    return key[2:4] == ("all", "all") and not QUARTER.fullmatch(key[1])


def _linked(code: str) -> bool:
    return code.startswith(LINKED_SOURCES)


def test_every_indicator_matches_the_truth_under_the_pipelines_linkage(run) -> None:
    problems = _differences(run.linked_truth, run.cells)
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"
    codes = {key[0] for key in run.cells}
    catalogue = {r[0] for r in _query(run.url, "select indicator_code from published.indicator_catalogue")}
    assert codes == catalogue - {"housing_time_housed_curve"}, "every catalogue indicator has cells, and only those"


def test_the_catalogue_says_which_indicators_are_published_by_quarter(run) -> None:
    """A committee member reading a quarter's cell learns from the definition what its quarter means; an
    indicator published by quarter whose definition never says so reads as a figure over the whole observation."""
    by_quarter = {key[0] for key in run.cells if QUARTER.fullmatch(key[1])}
    definitions = _query(
        run.url, "select indicator_code, definition_fr, definition_en from published.indicator_catalogue"
    )
    silent = {
        code
        for code, french, english in definitions
        if code in by_quarter and not ("trimestre" in french and "quarter" in english)
    }
    assert by_quarter and not silent


def test_housing_and_file_indicators_match_the_truth_on_true_persons(run) -> None:
    expected = {key: cell for key, cell in run.truth.items() if not _linked(key[0])}
    actual = {key: cell for key, cell in run.cells.items() if not _linked(key[0])}
    assert {key[0] for key in expected} >= {
        "housing_retention_12m",
        "dq_rows_quarantined",
        "dq_extract_delay_days",
        "landlord_incidents_per_100_tenancies",
        "landlord_incident_response_days",
        "landlord_incident_resolution_days",
        "peer_support_met_share",
        "voice_quality_of_life",
        "cost_programme_per_person_year",
        "funder_committed",
    }
    problems = _differences(expected, actual)
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"


def test_linkage_moves_cross_partner_indicators_only_a_little(run, record_property) -> None:
    """A person split over two keys loses the records filed under the other key, never gains any: linked
    numerators can only fall short of the truth, and only by a little."""
    gaps = {}
    value_gaps = {}
    for key, truth in run.truth.items():
        if not _linked(key[0]):
            continue
        cell = run.cells[key]
        if key[0].startswith(NETTED):
            assert cell.persons == truth.persons, key
        elif key[0].startswith(PAY_KNOWN):
            assert cell.persons >= truth.persons, key
        if key[0].startswith(NETTED + PAY_KNOWN):
            if _overall(key):
                value_gaps[f"{key[0]}/{key[4]}"] = (truth.value, float(cell.value))
            continue
        # who is measured comes from the housing data: the populations agree exactly
        assert (cell.denominator, cell.persons) == (truth.denominator, truth.persons), key
        assert cell.numerator <= truth.numerator, key
        if _overall(key):
            gaps[f"{key[0]}/{key[4]}"] = (truth.numerator, cell.numerator)
    record_property("linkage_gaps", gaps)
    record_property("linkage_value_gaps", value_gaps)
    too_far = {k: v for k, v in gaps.items() if v[0] - v[1] > MAX_LINKAGE_GAP * v[0] + 3}
    too_far |= {k: v for k, v in value_gaps.items() if abs(v[0] - v[1]) > MAX_LINKAGE_GAP * abs(v[0])}
    assert gaps and value_gaps and not too_far, too_far


def test_retention_curve_matches_the_truth(run) -> None:
    truth = retention_curve(run.data)
    curve = {
        (site, month): (at_risk, events, survival)
        for site, month, at_risk, events, survival in _query(
            run.url, "select site, time_months, at_risk, events, survival from marts.retention_curve_cells"
        )
    }
    assert curve.keys() == truth.keys()
    for key, (at_risk, events, survival) in truth.items():
        assert curve[key][:2] == (at_risk, events), key
        assert abs(float(curve[key][2]) - survival) <= VALUE_TOLERANCE, key
    published = _query(
        run.url,
        "select site, time_months, at_risk, events, survival, suppressed, suppression_reason"
        " from published.retention_curve",
    )
    assert len(published) == len(truth)
    for site, month, at_risk, events, survival, suppressed, reason in published:
        small = truth[(site, month)][0] < MIN_CELL_PERSONS
        if small:
            assert suppressed, (site, month)
        if suppressed:
            assert (at_risk, events, survival) == (None, None, None)
            # why, as for indicator cells: too few at risk, or hidden so that a small one cannot be recovered
            assert reason == ("small_cell" if small else "complementary"), (site, month)
        else:
            assert (at_risk, events, survival, reason) == (*curve[(site, month)], None)


def test_published_values_are_the_cells_after_disclosure_control(run) -> None:
    published = _query(
        run.url,
        "select indicator_code, period, site, cohort, breakdown, numerator, denominator, value, persons, suppressed"
        " from published.indicator_values",
    )
    assert len(published) == len(run.cells)
    for *key, numerator, denominator, value, persons, suppressed in published:
        cell = run.cells[tuple(key)]
        if cell.persons is not None and cell.persons < MIN_CELL_PERSONS:
            assert suppressed, key
        if suppressed:
            assert (numerator, denominator, value, persons) == (None, None, None, None)
        else:
            assert (numerator, denominator, value, persons) == tuple(vars(cell).values())


def test_effects_are_plausible_with_the_generators_defaults(run) -> None:
    totals = {(key[0], key[4]): cell for key, cell in run.cells.items() if _overall(key)}
    assert 0.78 <= totals[("housing_retention_12m", "all")].value <= 0.93
    before, after = (totals[("health_hospital_days", side)].value for side in ("before", "after"))
    assert 0.35 <= after / before <= 0.7, "hospital days should roughly halve after entry"
    hours = {side: totals[("employment_weekly_hours", side)].value for side in ("before", "after")}
    assert hours["after"] > hours["before"], "contracted hours should grow after entry"
    income = {side: totals[("employment_monthly_income", side)] for side in ("before", "after")}
    assert income["after"].value > income["before"].value, "earned income should grow after entry"
    # about the minimum wage an hour: a weekly hour is worth some 52 EUR a month (a training hour less)
    for side, cell in income.items():
        assert 30 <= cell.value / hours[side] <= 60, side
    # only the few whose running contracts lack their pay (5 % of contracts) are left out of the income
    assert 0.95 * totals[("employment_weekly_hours", "after")].persons <= income["after"].persons
    for sector in ("health", "justice", "shelter"):
        assert totals[(f"cost_avoided_{sector}", "all")].value > 0, f"{sector} use should fall after entry"
    programme = totals[("cost_programme_per_person_year", "all")].value
    assert 10_000 <= programme <= 16_000, "about the 14,000 EUR a person-year the funders commit"
    assert 0.1 <= totals[("cost_offset_ratio", "all")].value <= 1
    assert 0.45 <= totals[("peer_support_met_share", "all")].value <= 0.75, "six tenants in ten meet a peer worker"


# The cohort cells (indicator, breakdown) a pay-for-performance clause's value adds up over its year's quarters.
CLAUSE_SOURCES = {
    "housing_retention_12m": (("housing_retention_12m", "all"),),
    "employment_in_work_12m": (("employment_in_work_or_training_12m", "all"),),
    "health_emergency_visits_change": (("health_emergency_visits", "before"), ("health_emergency_visits", "after")),
}


def _published_cells(url: str) -> dict[tuple, tuple]:
    """(indicator, period, site, cohort, breakdown) -> (numerator, persons, suppressed) as published."""
    rows = _query(
        url,
        "select indicator_code, period, site, cohort, breakdown, numerator, persons, suppressed"
        " from published.indicator_values",
    )
    return {tuple(row[:5]): tuple(row[5:]) for row in rows}


def _same_persons(url: str) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(indicator, breakdown) -> those counting as many persons in every site and cohort cell over the whole
    observation (itself included): an attacker reads one's persons counts for the other's."""
    counts: dict[tuple[str, str], set[tuple]] = defaultdict(set)
    for code, breakdown, site, cohort, persons in _query(
        url,
        "select indicator_code, breakdown, site, cohort, persons from marts.indicator_cells"
        " where persons is not null and period !~ 'Q' and indicator_code not like 'pfp%'",
    ):
        counts[(code, breakdown)].add((site, cohort, persons))
    by_counts: dict[frozenset, set[tuple[str, str]]] = defaultdict(set)
    for key, cells in counts.items():
        by_counts[frozenset(cells)].add(key)
    return {key: by_counts[frozenset(cells)] for key, cells in counts.items()}


def _known_years(published: dict[tuple, tuple], same_persons: dict) -> set[tuple[str, str, str, str]]:
    """(indicator, breakdown, site, year) of the cohort cells' year sums a published clause value shows: its
    indicator's persons, and so those of every indicator counting the same persons."""
    return {
        (code, breakdown, site, period[:4])
        for (indicator, period, site, _, clause), (_, _, suppressed) in published.items()
        if indicator == "pfp_indicator_value" and not suppressed
        for source in CLAUSE_SOURCES[clause.split(":")[1]]  # funder:indicator:clause
        for code, breakdown in same_persons.get(source, {source})
    }


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str) -> str:
    """The demo's warehouse (`abord demo`: 2,000 persons, seed 7), whose sites' quarterly cohorts are large enough
    that one quarter of a year may be suppressed alone; at 500 persons most quarters are, and none is alone."""
    return _build(tmp_path_factory.mktemp("indicators_demo"), pg_admin_url, DEMO_PERSONS, DEMO_SEED)[1]


def test_no_suppressed_cohort_cell_is_recovered_from_a_clause_year(demo_url: str) -> None:
    """A clause's value shows the sum of its indicator's cohort cells over the clause's year at its site
    (numerator, denominator, persons): a year holding exactly one suppressed quarter gives it away (the year minus
    the shown quarters). Fails when clause cells escape disclosure control."""
    published = _published_cells(demo_url)
    known = _known_years(published, _same_persons(demo_url))
    recovered = []
    for code, breakdown, site, year in known:
        quarters = {
            key: cell
            for key, cell in published.items()
            if (key[0], key[2], key[4]) == (code, site, breakdown) and key[3].startswith(f"{year}-Q")
        }
        hidden = [key for key, (_, _, suppressed) in quarters.items() if suppressed]
        if len(hidden) == 1:
            recovered.append(hidden[0])
    assert known, "some clause values are published"
    assert not recovered, f"{len(recovered)} suppressed cells recovered from a clause's year, e.g. {recovered[:3]}"


def test_no_suppressed_cell_is_alone_in_a_line_of_published_totals(demo_url: str) -> None:
    """Every line an attacker can add up: one site's cohorts under its total, where the year sums published
    clause values show stand in for their quarters (and hold their own quarters), one cohort's sites under
    its all-sites total, and one site's reporting quarters under its total over the whole observation. A line
    holding exactly one suppressed member gives it away."""
    published = _published_cells(demo_url)
    known = _known_years(published, _same_persons(demo_url))
    whole = {
        (code, site, breakdown): period
        for (code, period, site, cohort, breakdown) in published
        if cohort == "all" and not QUARTER.fullmatch(period)
    }
    lines: dict[tuple, list[bool]] = {}
    for (code, period, site, cohort, breakdown), (_, _, suppressed) in published.items():
        if code.startswith("pfp_"):
            continue
        total = published.get((code, whole.get((code, site, breakdown)), site, "all", breakdown), (0, 0, True))
        if QUARTER.fullmatch(period) and total[2] is False:
            lines.setdefault((code, breakdown, "quarters", site), []).append(suppressed)
        if cohort != "all" and (code, breakdown, site, cohort[:4]) in known:
            lines.setdefault((code, period, breakdown, "year", site, cohort[:4]), []).append(suppressed)
        elif cohort != "all" and published.get((code, period, site, "all", breakdown), (0, 0, True))[2] is False:
            lines.setdefault((code, period, breakdown, "site", site), []).append(suppressed)
        if site != "all" and published.get((code, period, "all", cohort, breakdown), (0, 0, True))[2] is False:
            lines.setdefault((code, period, breakdown, "cohort", cohort), []).append(suppressed)
    alone = [line for line, members in lines.items() if sum(members) == 1]
    assert not alone, f"{len(alone)} lines hold a single suppressed cell, e.g. {alone[:3]}"


def test_indicators_counting_the_same_persons_are_suppressed_alike(demo_url: str) -> None:
    """Indicators counting as many persons in every cell (health measures before and after entry, employment at
    12 months and weekly hours) publish the same persons counts: one's shown cell would give the other's hidden
    one away, and with it what the cells around it hide."""
    published = _published_cells(demo_url)
    groups = {frozenset(mates) for mates in _same_persons(demo_url).values() if len(mates) > 1}
    assert groups, "the demo has indicators counting the same persons"
    differing = []
    for mates in groups:
        patterns = {
            mate: {
                key[2:4]: cell[2]
                for key, cell in published.items()
                if (key[0], key[4]) == mate and not QUARTER.fullmatch(key[1])
            }
            for mate in mates
        }
        if len({frozenset(pattern.items()) for pattern in patterns.values()}) > 1:
            differing.append(sorted(mates)[:3])
    assert not differing, f"{len(differing)} groups suppressed differently, e.g. {differing[:2]}"


def test_a_clause_read_before_its_years_entrants_are_all_measured_has_no_payment_due_yet(
    tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str
) -> None:
    """Read on 30 June 2025, a 2024 clause is measured on its early entrants only: its value to date is published,
    but a payment due then (the full payment or 0) would read as final though the later entrants will change it.
    The payment due is absent until every entrant is measured, as the truth recomputes it; the warehouse's other
    clause cells still match the truth."""
    data, url, settings = _build(
        tmp_path_factory.mktemp("indicators_mid_year"), pg_admin_url, PERSONS, SEEDS[0], MID_YEAR
    )
    truth = indicator_cells(data, _linkage(url, data, settings.key_file))
    clauses = {key: cell for key, cell in truth.items() if key[0].startswith("pfp_")}
    valued = {key[1:] for key in clauses if key[0] == "pfp_indicator_value"}
    provisional = valued - {key[1:] for key in clauses if key[0] == "pfp_payment_due"}
    assert provisional and valued - provisional, "the read has clause years partly and wholly measured"
    cells = {key: cell for key, cell in _cells(url).items() if key[0].startswith("pfp_")}
    problems = _differences(clauses, cells)
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"
    published = _published_cells(url)
    assert not {key for key in provisional if ("pfp_payment_due", *key) in published}


def _shelter_history_from_the_median_move_on(data: Path) -> None:
    """The 115 / SIAO's extract without the nights before the median day people moved on to permanent housing (in
    the generator's truth): a partner whose history starts after the programme's, and after half its moves on."""
    with (data / "ground_truth" / "tenancies.csv").open(encoding="utf-8") as handle:
        exits = sorted(row["end_date"] for row in csv.DictReader(handle) if row["exit_reason"] == "logement_autonome")
    history_from = date.fromisoformat(exits[len(exits) // 2])
    (path,) = (data / "landing").glob(EVENT_SOURCES["shelter_nights"][0])
    header, *lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    night = header.rstrip("\r\n").split(";").index("date_nuitee")

    def before(line: str) -> bool:
        try:
            return datetime.strptime(line.split(";")[night], "%d/%m/%Y").date() < history_from
        except ValueError:  # no date ("hier"): a row the pipeline quarantines, kept as the partner sent it
            return False

    path.write_text(header + "".join(line for line in lines if not before(line)), encoding="utf-8")


@pytest.fixture(scope="module")
def late_shelter(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str) -> SimpleNamespace:
    """The first seed's sample with the 115 / SIAO's history starting after half the moves on to permanent
    housing, built, and its truth under the pipeline's linkage."""
    data, url, settings = _build(
        tmp_path_factory.mktemp("indicators_late_shelter"),
        pg_admin_url,
        PERSONS,
        SEEDS[0],
        edit=_shelter_history_from_the_median_move_on,
    )
    unobserved = (
        "select count(*) from intermediate.int_participants_moved_on as moves"
        " inner join intermediate.int_sources_observed as shelter on shelter.source = 'shelter_nights'"
        " where moves.exit_date < shelter.observed_from"
    )
    assert _query(url, unobserved)[0][0] > 0  # the case these tests are about
    return SimpleNamespace(url=url, truth=indicator_cells(data, _linkage(url, data, settings.key_file)))


def _cells_of(cells: dict[tuple, IndicatorCell], prefix: str) -> dict[tuple, IndicatorCell]:
    return {key: cell for key, cell in cells.items() if key[0].startswith(prefix)}


def test_returns_follow_no_move_dated_before_the_shelter_history(late_shelter: SimpleNamespace) -> None:
    """The 115 / SIAO's history starts after half the moves on to permanent housing. A move before it has no
    return window: the shelter data never saw its first days, which would read as no return (the old SQL counted
    such moves, the returns looking better than they were for the early cohorts). The returns to homelessness
    match the truth, which follows only the moves from the shelter's earliest night on."""
    returns = _cells_of(late_shelter.truth, "housing_returns_")
    assert {key[0] for key in returns} == {f"housing_returns_homelessness_{a}_{b}d" for a, b in RETURN_WINDOWS}
    problems = _differences(returns, _cells_of(_cells(late_shelter.url), "housing_returns_"))
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"


def test_days_after_a_move_dated_before_the_shelter_history_are_not_observed(late_shelter: SimpleNamespace) -> None:
    """The same late 115 / SIAO history: the days after a move on dated before it, to the return after it, are
    neither stably housed nor observed (a return then, in nights never sent, would be seen nowhere; the old SQL
    counted them all as stably housed, the share reading better than it was). The share of days stably housed,
    whole and by quarter, matches the truth, which follows only the moves from the shelter's earliest night on."""
    code = "housing_days_stably_housed_share"
    stably_housed = _cells_of(late_shelter.truth, code)
    assert any(QUARTER.fullmatch(key[1]) for key in stably_housed) and any(_overall(k) for k in stably_housed)
    problems = _differences(stably_housed, _cells_of(_cells(late_shelter.url), code))
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"


LATE_CONVERSION = timedelta(days=30)


def _conversions_dated_after_their_tenancy_ended(data: Path) -> None:
    """The landlords date a conversion a month after the tenancy ended, for every lease of an ended tenancy not
    converted (late paperwork, or a typo), in their leases file and in the generator's truth alike; each dated a
    quarter before the extract's month at the latest, so that the observation reaches it."""
    truth_file = data / "ground_truth" / "leases.csv"
    with truth_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, leases = reader.fieldnames, list(reader)
    late = {}
    for row in leases:
        ended = row["end_date"] and date.fromisoformat(row["end_date"]) + LATE_CONVERSION
        if ended and not row["converted_date"] and ended <= DEFAULT_AS_OF - relativedelta(months=3):
            row["converted_date"] = late["L" + row["tenancy_id"][1:]] = ended.isoformat()
    assert late, "the sample has ended tenancies"
    with truth_file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fields)
        writer.writeheader()
        writer.writerows(leases)
    (path,) = (data / "landing").glob("landlords/leases_*.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    lease, conversion = header.index("id_contrat"), header.index("date_glissement")
    for row in rows:
        if row[lease] in late:
            row[conversion] = late[row[lease]]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows([header, *rows])


def test_a_conversion_dated_after_its_tenancy_ended_counts_in_neither_view(
    tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str
) -> None:
    """A conversion the landlords date after the lease's tenancy ended is of a lease that no longer runs: it counts
    in no quarter, nor over the whole observation (the old SQL counted it there, the two views of the share of
    leases converted disagreeing). The share, whole and by quarter, matches the truth, which counts a conversion
    only while its lease runs."""
    data, url, settings = _build(
        tmp_path_factory.mktemp("indicators_late_conversions"),
        pg_admin_url,
        PERSONS,
        SEEDS[0],
        edit=_conversions_dated_after_their_tenancy_ended,
    )
    after_the_tenancy = (
        "select count(*) from staging.stg_landlords__leases as leases"
        " inner join staging.stg_housing__tenancies as tenancies using (person_key, start_date)"
        " where leases.conversion_date > tenancies.end_date"
    )
    assert _query(url, after_the_tenancy)[0][0] > 0  # the case this test is about
    code = "landlord_leases_converted_share"
    truth = _cells_of(indicator_cells(data, _linkage(url, data, settings.key_file)), code)
    assert any(QUARTER.fullmatch(key[1]) for key in truth) and any(_overall(key) for key in truth)
    problems = _differences(truth, _cells_of(_cells(url), code))
    assert not problems, f"{len(problems)} cells differ, e.g. {problems[:5]}"
