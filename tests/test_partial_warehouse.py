"""A new deployment builds before every partner has sent something: `dbt build` on a warehouse with raw tables
but no rows, or the rows of one partner's sources only, succeeds and publishes no cell without its keys (a cell
of nothing observed yet is not published at all), and no cell of an indicator whose partner has sent nothing."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from pipelines.contract import Contract, load_contracts
from pipelines.ingest import IngestContext, find_extracts, ingest_file
from pipelines.pipeline import ensure_raw_tables, ingest_context
from pipelines.quarantine import quarantine_path
from pipelines.retry import retry_quarantine
from pipelines.sample.generate import generate
from pipelines.settings import Settings
from pseudonymisation.keys import new_key
from tests.conftest import create_database
from tests.ground_truth import month_end
from tests.warehouse_steps import month_extracts, run_dbt

KEYS = ("indicator_code", "period", "site", "cohort", "breakdown")
CURVE_KEYS = ("period", "site", "time_months")


def _sample(tmp_path_factory: pytest.TempPathFactory, months: int) -> Path:
    data = tmp_path_factory.mktemp("partial")
    generate(data, persons=60, seed=1, months=months)
    new_key(data / "abord.key")
    return data


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # two months (a partner's file can lag a month); this seed's December brings an entrant holding a tenancy
    return _sample(tmp_path_factory, 2)


@pytest.fixture(scope="module")
def three_months(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # a month between a source's first and its latest, for a partner sending month by month to leave out
    return _sample(tmp_path_factory, 3)


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchone()[0]


def _null_keys(url: str, table: str, keys: tuple[str, ...]) -> int:
    return _count(url, f"select count(*) from {table} where " + " or ".join(f"{key} is null" for key in keys))


def _partner_sources(manifest: dict, model: str) -> set[str]:
    """The partner sources (raw tables) a model of the catalogue's source_models reads: a staging model's own, a
    mart's through its staging models. Not those the participants' spine (int_*) reads for every indicator: the
    people housed, and deaths wherever reported."""
    nodes = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] in ("model", "seed")}
    parents = nodes[model]["depends_on"].get("nodes", [])
    within_two = set(parents) | {
        grandparent
        for parent in parents
        if parent in manifest["nodes"]
        for grandparent in manifest["nodes"][parent]["depends_on"].get("nodes", [])
    }
    return {
        manifest["sources"][key]["name"]
        for key in within_two
        if key in manifest["sources"] and manifest["sources"][key]["schema"] == "raw"
    }


def _published_without_their_sources(url: str, manifest: dict) -> dict[str, set[str]]:
    """Each published indicator reading a partner source no batch was ever loaded from, with those sources."""
    with psycopg.connect(url) as conn:
        loaded = {source for (source,) in conn.execute("select source from audit.batches where status = 'loaded'")}
        catalogue = conn.execute("select indicator_code, source_models from published.indicator_catalogue")
        reads = {
            code: {s for m in models.split(";") for s in _partner_sources(manifest, m)} for code, models in catalogue
        }
        published = {code for (code,) in conn.execute("select distinct indicator_code from published.indicator_values")}
    return {code: reads[code] - loaded for code in published if reads[code] - loaded}


def _context(landing: Path, url: str, target: Path) -> IngestContext:
    """Loads into the warehouse at `url`, quarantining beside its dbt artefacts (`target`), not in the shared data."""
    ctx = ingest_context(Settings(data_dir=landing, key_file=landing / "abord.key", database_url=url), url)
    return replace(ctx, quarantine_dir=target / "quarantine")


def _every_entry_date_reformatted(path: Path, into: Path) -> Path:
    """A copy of the extract at `path` in folder `into`, every entry date in another form (2023-01-05 for
    05/01/2023): each row invalid, as when a partner's export changes its date format."""
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    entry = lines[0].split(";").index("date_entree")
    for i, line in enumerate(lines[1:], 1):
        if line:
            fields = line.split(";", entry + 1)
            fields[entry] = "-".join(reversed(fields[entry].split("/")))
            lines[i] = ";".join(fields)
    into.mkdir(exist_ok=True)
    (into / path.name).write_bytes("\r\n".join(lines).encode("cp1252"))
    return into / path.name


def _warehouse_of(
    landing: Path,
    pg_admin_url: str,
    prefixes: tuple[str, ...],
    target: Path,
    left_out: str = "",
    behind: str = "",
    broken: str = "",
    gap: str = "",
) -> str:
    """A new warehouse holding the latest month of the sources whose names start with one of `prefixes` (but
    `left_out`; `behind` at the month before; `broken`'s latest month with every row invalid, loaded before its
    month before came; `gap`, an append source, at every month but the one before its latest), built by dbt (its
    artefacts in `target`); its URL."""
    url = create_database(pg_admin_url)
    contracts = load_contracts()
    ensure_raw_tables(url, contracts)
    if prefixes:
        ctx = _context(landing, url, target)
        sources = {n: c for n, c in contracts.items() if n.startswith(prefixes) and n != left_out}
        extracts = month_extracts(sources, landing / "landing", True)
        if behind:
            extracts[behind] = month_extracts({behind: sources[behind]}, landing / "landing", False)[behind]
        if broken:
            extracts[broken] = [
                *(_every_entry_date_reformatted(path, target / "sent") for path in extracts[broken]),
                *month_extracts({broken: sources[broken]}, landing / "landing", False)[broken],
            ]
        if gap:
            earlier = month_extracts({gap: sources[gap]}, landing / "landing", False)[gap]
            skipped = _month_before_latest(sources[gap], earlier)
            extracts[gap] = [p for p in earlier if sources[gap].period_of(p.name) != skipped] + extracts[gap]
        for name, paths in extracts.items():
            for path in paths:
                ingest_file(ctx, contracts[name], path)
    # the unit tests run on fixtures of their own, the same on any warehouse
    run_dbt(url, "build", "--exclude", "resource_type:unit_test", target=target)
    return url


def _month_before_latest(contract: Contract, earlier: list[Path]) -> str:
    """The latest period of a source's files of every month before its latest (`earlier`)."""
    return max(contract.period_of(path.name) for path in earlier)


# the sources of one partner at a time: the housing operator's (no finance yet: no cost cell, not even an empty
# all-sites one), the same without its support contacts file yet (no peer-support cell: not "0 % met a peer
# worker"), the funders' (nothing housed is observed yet: their commitments by year, but no programme cost)
@pytest.mark.parametrize(
    ("prefix", "left_out", "unpublished"),
    [
        ("", "", "true"),
        ("housing_", "", "indicator_code ~ '^(cost|funder)_'"),
        ("housing_", "housing_support_contacts", "indicator_code ~ '^(cost|funder|peer_support)_'"),
        ("finance_", "", "indicator_code ~ '^cost_'"),
    ],
    ids=["empty", "housing", "housing-without-contacts", "finance"],
)
def test_a_warehouse_holding_nothing_or_one_partners_rows_builds_and_publishes_no_cell_without_keys(
    prefix: str, left_out: str, unpublished: str, landing: Path, pg_admin_url: str, tmp_path: Path
) -> None:
    url = _warehouse_of(landing, pg_admin_url, (prefix,) if prefix else (), tmp_path, left_out)
    assert _null_keys(url, "published.indicator_values", KEYS) == 0
    assert _null_keys(url, "published.retention_curve", CURVE_KEYS) == 0
    assert _count(url, f"select count(*) from published.indicator_values where {unpublished}") == 0
    # "0 % in work" with no employment extract is no measure: not even a suppressed cell says "too few persons"
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert _published_without_their_sources(url, manifest) == {}
    if prefix == "finance_":
        assert _count(url, "select count(*) from published.indicator_values where indicator_code = 'funder_committed'")


def test_landlord_quarters_need_no_claims_file_and_publish_no_claim_without_one(
    landing: Path, pg_admin_url: str, tmp_path: Path
) -> None:
    """The landlords send their leases and incidents but no guarantee-fund claims file (not every programme has a
    guarantee fund): the incidents per 100 tenancies by quarter are published, as over the whole observation,
    rather than every landlord quarter waiting for good on a file that may never come; and no claims cell is
    ("0 claims per 100 tenancies" with no claims file is no measure)."""
    url = _warehouse_of(landing, pg_admin_url, ("housing_", "landlord_leases", "landlord_incidents"), tmp_path)
    cells = "select count(*) from published.indicator_values where "
    assert _count(url, cells + "indicator_code = 'landlord_incidents_per_100_tenancies' and period ~ 'Q'") > 0
    assert _count(url, cells + "indicator_code ~ '^landlord_guarantee_'") == 0


def test_a_participants_file_a_month_behind_its_tenancies_builds_without_their_new_tenants(
    landing: Path, pg_admin_url: str, tmp_path: Path
) -> None:
    """The housing operator's participants file is still at November while its tenancies are at December: the
    tenancies of December's entrants have no participant yet, their persons simply not sent. The build does not
    fail on them (the committee would keep last month's tables for a partner's ordinary lateness), publishes to the
    participants file's end (30 November), and such a tenancy makes no person: every person measured is a
    participant."""
    url = _warehouse_of(landing, pg_admin_url, ("housing_",), tmp_path, behind="housing_participants")
    # the last day of the participants file loaded, the month behind
    participants = load_contracts()["housing_participants"]
    sent = month_extracts({participants.name: participants}, landing / "landing", False)[participants.name]
    participants_end = month_end(max(participants.period_of(path.name) for path in sent)).isoformat()
    not_sent = (
        "select count(*) from staging.stg_housing__tenancies as tenancies where not exists"
        " (select from staging.stg_housing__participants as participants"
        " where participants.person_key = tenancies.person_key)"
    )
    assert _count(url, not_sent) > 0  # the case this test is about
    assert _count(url, "select count(*) from published.indicator_values") > 0
    with psycopg.connect(url) as conn:
        curve_periods = conn.execute("select distinct period from published.retention_curve").fetchall()
    assert curve_periods == [(participants_end,)]
    for persons in (
        "intermediate.int_participants_observed",
        "marts.fct_housing_tenure",
        "marts.fct_indicator_contributions",
    ):
        strangers = f"select count(*) from {persons} where person_key not in"
        assert _count(url, strangers + " (select person_key from staging.stg_housing__participants)") == 0
    # a tenancy whose person is missing from the participants file covering its start still fails the build
    (compiled,) = tmp_path.glob("compiled/**/relationships_stg_housing__ten_*.sql")
    failures = compiled.read_text(encoding="utf-8")
    with psycopg.connect(url) as conn, conn.transaction(force_rollback=True):
        conn.execute(
            "delete from staging.stg_housing__participants where person_key = (select person_key"
            " from staging.stg_housing__tenancies where start_date <= %s limit 1)",
            (participants_end,),
        )
        assert conn.execute(failures).fetchall()


def test_a_participants_month_quarantined_whole_leaves_the_month_before_current_until_its_retry(
    landing: Path, pg_admin_url: str, tmp_path: Path
) -> None:
    """The housing operator's December participants file came first, every entry date in another form: all its
    rows quarantined. Its November file came after. The empty December was the current snapshot: November's
    participants were outdated as they loaded, the warehouse had no participant at all and the build failed on
    every tenancy's person missing. November stays current, published to 30 November, until the steward retries
    December's fixed rows: December is current then, and November's rows go."""
    url = _warehouse_of(landing, pg_admin_url, ("housing_",), tmp_path, broken="housing_participants")
    participants = "select count(*) from staging.stg_housing__participants"
    november = "select rows_loaded from audit.batches where file_name = 'participants_2025-11.csv'"
    assert _count(url, participants) == _count(url, november) > 0
    with psycopg.connect(url) as conn:
        assert conn.execute("select distinct period from published.retention_curve").fetchall() == [("2025-11-30",)]

    quarantine = quarantine_path(tmp_path / "quarantine", "housing_participants", "participants_2025-12.csv")
    with quarantine.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    for line in lines:
        line["date_entree"] = "/".join(reversed(line["date_entree"].split("-")))
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    retried = retry_quarantine(_context(landing, url, tmp_path), quarantine)
    assert retried.rows_loaded > 0
    run_dbt(url, "build", "--exclude", "resource_type:unit_test", target=tmp_path)

    assert _count(url, participants) == retried.rows_loaded
    assert _count(url, f"select count(*) from raw.housing_participants where batch_id <> {retried.batch_id}") == 0


def test_a_month_a_monthly_partner_never_sent_stops_its_observation_until_it_comes(
    three_months: Path, pg_admin_url: str, tmp_path: Path
) -> None:
    """The 115 / SIAO sends each month's shelter nights once (an append source): its first month (with every night
    before it) and its latest came, the month between not. Its nights are absent, not none: the shelter data were
    observed to the latest month's end, and a person's window running through the missing month read "no shelter
    night" there. They are observed to the end of the first month, the shelter measures published to that day,
    until the missing month comes: then to the latest month's end."""
    url = _warehouse_of(three_months, pg_admin_url, ("housing_", "shelter_"), tmp_path, gap="shelter_nights")
    shelter = load_contracts()["shelter_nights"]
    earlier = month_extracts({shelter.name: shelter}, three_months / "landing", False)[shelter.name]
    missing = _month_before_latest(shelter, earlier)
    first = min(shelter.period_of(path.name) for path in earlier)
    latest = max(shelter.period_of(path.name) for path in find_extracts(shelter, three_months / "landing"))
    assert first < missing < latest  # the case this test is about
    observed_to = "select observed_to from intermediate.int_sources_observed where source = 'shelter_nights'"
    # the share of participants the shelter data link is published at their end
    published = (
        "select distinct period from published.indicator_values"
        " where indicator_code = 'dq_participants_linked' and breakdown = 'shelter_nights'"
    )
    with psycopg.connect(url) as conn:
        assert conn.execute(observed_to).fetchone()[0] == month_end(first)
        assert conn.execute(published).fetchall() == [(month_end(first).isoformat(),)]

    ctx = _context(three_months, url, tmp_path)
    for path in earlier:
        if shelter.period_of(path.name) == missing:
            ingest_file(ctx, shelter, path)
    run_dbt(url, "build", "--exclude", "resource_type:unit_test", target=tmp_path)
    with psycopg.connect(url) as conn:
        assert conn.execute(observed_to).fetchone()[0] == month_end(latest)
        assert conn.execute(published).fetchall() == [(month_end(latest).isoformat(),)]
