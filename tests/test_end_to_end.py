"""Sample extracts -> Dagster (ingestion + dbt) -> published indicators, on a real PostgreSQL server."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest

from orchestration.instance import run_refresh
from pipelines.contract import load_contracts
from pipelines.sample.generate import generate
from pipelines.settings import get_settings
from pseudonymisation.keys import load_key, new_key
from pseudonymisation.link_keys import record_key
from tests.conftest import create_database
from tests.ground_truth import identifiers, retention_cells

PERSONS = 700


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str):
    data = tmp_path_factory.mktemp("e2e")
    generate(data, persons=PERSONS, seed=11)
    new_key(data / "abord.key")
    url = create_database(pg_admin_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ABORD_DATA_DIR", str(data))
        patch.setenv("ABORD_DATABASE_URL", url)
        patch.setenv("DAGSTER_HOME", str(data / "dagster"))
        settings = get_settings()
        assert run_refresh(settings), "the refresh job failed"
        yield SimpleNamespace(data=data, url=url, settings=settings, truth=data / "ground_truth")


def _query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def test_published_retention_matches_ground_truth(run) -> None:
    truth = retention_cells(run.truth)
    cells = {
        (site, cohort): (numerator, denominator)
        for site, cohort, numerator, denominator in _query(
            run.url,
            "select site, cohort, numerator, denominator from marts.indicator_cells"
            " where indicator_code = 'housing_retention_12m'",
        )
    }
    assert cells == {key: (cell.numerator, cell.denominator) for key, cell in truth.items()}
    overall = truth[("all", "all")]
    assert 0.75 < overall.numerator / overall.denominator < 0.95

    published = _query(
        run.url,
        "select site, cohort, numerator, denominator, value, persons, suppressed from published.indicator_values"
        " where indicator_code = 'housing_retention_12m'",
    )
    assert len(published) == len(truth)
    for site, cohort, numerator, denominator, value, persons, suppressed in published:
        cell = truth[(site, cohort)]
        if cell.denominator < 11:
            assert suppressed, f"{site} {cohort} counts {cell.denominator} persons and is published"
        if suppressed:
            assert (numerator, denominator, value, persons) == (None, None, None, None)
        else:
            assert (numerator, denominator, persons) == (cell.numerator, cell.denominator, cell.denominator)
            assert float(value) == pytest.approx(cell.numerator / cell.denominator, abs=5e-5)


def test_no_line_holds_a_single_suppressed_cell(run) -> None:
    rows = _query(run.url, "select site, cohort, suppressed from published.indicator_values")
    lines: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for site, cohort, suppressed in rows:
        if cohort != "all":
            lines[("site", site)][suppressed] += 1
        if site != "all":
            lines[("cohort", cohort)][suppressed] += 1
    assert any(counter[True] for counter in lines.values()), "the sample should exercise suppression"
    assert all(counter[True] != 1 for counter in lines.values())


def test_every_row_is_loaded_or_quarantined_with_a_reason(run) -> None:
    batches = _query(run.url, "select source, rows_read, rows_loaded, rows_quarantined, status from audit.batches")
    assert {b[0] for b in batches} == set(load_contracts())
    for source, read, loaded, quarantined, status in batches:
        assert status == "loaded"
        assert read == loaded + quarantined, source
    rejected = {
        (source, row)
        for source, row in _query(
            run.url,
            "select distinct b.source, r.source_row from audit.rejections r join audit.batches b using (batch_id)",
        )
    }
    with (run.truth / "invalid_rows.csv").open(encoding="utf-8") as handle:
        injected = {(r["source"], int(r["row_number"])) for r in csv.DictReader(handle)}
    assert rejected == injected
    quarantine_files = list(run.settings.quarantine_dir.rglob("*.rejected.csv"))
    assert quarantine_files and not list(run.settings.landing_dir.rglob("*.rejected.csv"))


def test_same_extracts_twice_change_nothing(run) -> None:
    def state():
        return (
            _query(run.url, "select count(*), sum(rows_loaded) from audit.batches"),
            _query(run.url, "select link_key, person_key from identity.link_keys order by link_key"),
            _query(run.url, "select * from published.indicator_values order by site, cohort"),
        )

    before = state()
    assert run_refresh(run.settings)
    assert state() == before


def test_one_person_key_per_person_across_partners(run) -> None:
    key = load_key(run.settings.key_file)
    with (run.truth / "links.csv").open(encoding="utf-8") as handle:
        truth = {record_key(key, r["source"], r["record_id"]): r["person_id"] for r in csv.DictReader(handle)}
    assigned = {}
    for source, contract in load_contracts().items():
        if contract.is_person_level:
            assigned.update(dict(_query(run.url, f"select record_ref, person_key from raw.{source}")))
    assert set(assigned) == set(truth)
    keys_of_person: dict[str, set[str]] = defaultdict(set)
    persons_of_key: dict[str, set[str]] = defaultdict(set)
    for ref, person_key in assigned.items():
        keys_of_person[truth[ref]].add(person_key)
        persons_of_key[person_key].add(truth[ref])
    assert all(len(p) == 1 for p in persons_of_key.values()), "records of two persons share one key"
    split = sum(len(k) > 1 for k in keys_of_person.values()) / len(keys_of_person)
    assert split < 0.15, f"{split:.1%} of persons are split over several keys"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _warehouse_text(url: str) -> list[str]:
    """Every distinct text value of every warehouse table, but the keyed hex digests (HMAC output by design)."""
    columns = _query(
        url,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('raw', 'audit', 'identity', 'staging', 'intermediate', 'marts', 'published')"
        " and data_type in ('text', 'character varying')",
    )
    values = set()
    for schema, table, column in columns:
        values |= {v for (v,) in _query(url, f'select distinct "{column}"::text from {schema}.{table}') if v}
    return [v for v in values if not re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", v)]


def test_no_identifier_reaches_the_warehouse(run) -> None:
    ids = identifiers(run.truth)
    values = [_fold(v) for v in _warehouse_text(run.url)]
    assert any("<personne>" in v for v in values), "redacted case notes should be loaded"
    # digit runs as a person would write them: 06 12 34 56 78, 06.12..., +33 6..., 1 75 03 ...
    numbers = {re.sub(r"\D", "", n) for v in values for n in re.findall(r"\+?\d[\d .\-]{6,}\d", v)}
    for nir in ids["nir"]:
        assert not any(nir[:13] in n for n in numbers), "a NIR appears in the warehouse"
    for phone in ids["phone"]:
        assert not any(re.sub(r"\D", "", phone)[-9:] in n for n in numbers), "a phone appears in the warehouse"
    corpus = "\n".join(values)
    for email in ids["email"]:
        assert _fold(email) not in corpus, "an e-mail appears in the warehouse"
    for birth_date in ids["birth_date"]:
        year, month, day = birth_date.split("-")
        assert f"{day}/{month}/{year}" not in corpus and birth_date not in corpus
    # programme site names (a town such as Saint-Etienne) are not identifiers, even when a given name shares a word
    with (run.truth / "programme.csv").open(encoding="utf-8") as handle:
        sites = {word for row in csv.DictReader(handle) for word in re.findall(r"[a-z]+", _fold(row["site"]))}
    words = set(re.findall(r"[a-z]+", corpus)) - sites
    leaked = {
        part
        for kind in ("family_name", "given_name")
        for name in ids[kind]
        for part in re.findall(r"[a-z]+", _fold(name))
        if len(part) > 3 and part in words
    }
    assert not leaked, f"{len(leaked)} name parts appear in the warehouse"


def test_ground_truth_is_beside_landing_not_inside(run) -> None:
    assert (run.data / "ground_truth").is_dir() and not list(Path(run.data / "landing").rglob("persons.csv"))
