"""Sample extracts -> Dagster (ingestion + dbt) -> published indicators, on a real PostgreSQL server."""

from __future__ import annotations

import csv
import json
import logging
import re
import sqlite3
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
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


class _LogLines(logging.Handler):
    """Every log line the module's refreshes emit, formatted as a handler would write it (tracebacks too)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _capture_logs() -> Iterator[_LogLines]:
    root, handler = logging.getLogger(), _LogLines()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # what a deployment logs: the pipeline's info lines, not library debug chatter
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pg_admin_url: str):
    data = tmp_path_factory.mktemp("e2e")
    generate(data, persons=PERSONS, seed=11)
    new_key(data / "abord.key")
    url = create_database(pg_admin_url)
    with pytest.MonkeyPatch.context() as patch, _capture_logs() as logs:
        patch.setenv("ABORD_DATA_DIR", str(data))
        patch.setenv("ABORD_DATABASE_URL", url)
        patch.setenv("DAGSTER_HOME", str(data / "dagster"))
        settings = get_settings()
        assert run_refresh(settings), "the refresh job failed"
        yield SimpleNamespace(data=data, url=url, settings=settings, truth=data / "ground_truth", logs=logs.lines)


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
        " where indicator_code = 'housing_retention_12m' and period not like '%-Q_'",  # not by reporting quarter
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
    """Every distinct text value of every warehouse table."""
    columns = _query(
        url,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('raw', 'audit', 'identity', 'staging', 'intermediate', 'marts', 'published')"
        " and data_type in ('text', 'character varying')",
    )
    values = set()
    for schema, table, column in columns:
        values |= {v for (v,) in _query(url, f'select distinct "{column}"::text from {schema}.{table}') if v}
    return list(values)


def _leaves(value) -> Iterator[str]:
    """The strings inside a JSON document, keys too (Dagster stores events as JSON, accents escaped, JSON
    within JSON), else the text itself."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            yield from _leaves(parsed)
        elif isinstance(parsed, str):
            yield parsed
        else:  # plain text, or a number as written
            yield value


def _dagster_text(home: Path) -> list[str]:
    """Every text the Dagster instance keeps under DAGSTER_HOME: its SQLite run, event-log and schedule
    storages, read table by table, and its plain files (compute logs, stored outputs)."""
    values: list[str] = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        if path.suffix == ".db":
            with closing(sqlite3.connect(path)) as db:
                tables = [t for (t,) in db.execute("select name from sqlite_master where type = 'table'")]
                for table in tables:
                    for row in db.execute(f'select * from "{table}"'):
                        for cell in row:
                            text = cell.decode("utf-8", "replace") if isinstance(cell, bytes) else cell
                            if isinstance(text, str):
                                values.extend(_leaves(text))
        elif not path.name.endswith(("-wal", "-shm", "-journal")):  # read through their database above
            values.extend(_leaves(path.read_bytes().decode("utf-8", "replace")))
    return values


def _sites(truth: Path) -> set[str]:
    """Programme site names (a town such as Saint-Etienne) are not identifiers, even when a given name shares
    a word with one."""
    with (truth / "programme.csv").open(encoding="utf-8") as handle:
        return {word for row in csv.DictReader(handle) for word in re.findall(r"[a-z]+", _fold(row["site"]))}


# Keyed or random output, whole tokens of exactly its lengths: person keys (32), sha1 and sha256 digests (40, 64),
# Bloom filters (128), run ids; a phone written against a digest makes a longer token and stays in the scan.
_HEX = re.compile(
    r"\b(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{128}"
    r"|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})\b"
)


def _leaked(texts: list[str], ids: dict[str, set[str]], sites: set[str]) -> list[str]:
    """The kinds of identifier found in `texts` (never the values: a failure must not print one).

    Each kind is looked up among the tokens of its shape (digit runs, dates, addresses with an @, words), so
    a scan of a whole Dagster event log takes a second, not a minute of substring searches."""
    # keyed output (HMAC digests, Bloom-filter bits, run ids) is random per key: its digit runs met a phone's
    # last 9 digits by chance once in CI, so it is no place to look for a number a person would write
    corpus = _HEX.sub(" ", "\n".join(_fold(v) for v in texts))
    # digit runs as a person would write them: 06 12 34 56 78, 06.12..., +33 6..., 1 75 03 ...; a decimal
    # number (a timestamp, a duration) is not one, and its 15 digits would meet a phone's 9 by chance
    runs = (n for n in re.findall(r"\+?\d[\d .\-]{6,}\d", corpus) if not re.fullmatch(r"\d+\.\d+", n))
    numbers = {re.sub(r"\D", "", n) for n in runs}
    dates = set(re.findall(r"(?=(\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}))", corpus))
    addresses = set(re.findall(r"[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+", corpus))
    words = set(re.findall(r"[a-z]+", corpus)) - sites
    found = {
        "NIR": bool(_windows(numbers, 13) & {nir[:13] for nir in ids["nir"]}),
        "phone": bool(_windows(numbers, 9) & {re.sub(r"\D", "", phone)[-9:] for phone in ids["phone"]}),
        "e-mail": any(_fold(email) in address for email in ids["email"] for address in addresses),
        "birth date": bool(dates & (ids["birth_date"] | {"/".join(reversed(d.split("-"))) for d in ids["birth_date"]})),
        "name part": any(
            len(part) > 3 and part in words
            for kind in ("family_name", "given_name")
            for name in ids[kind]
            for part in re.findall(r"[a-z]+", _fold(name))
        ),
    }
    return [kind for kind, hit in found.items() if hit]


def _windows(numbers: set[str], width: int) -> set[str]:
    return {n[i : i + width] for n in numbers for i in range(len(n) - width + 1)}


def test_the_scan_finds_a_written_phone_but_not_one_met_by_chance_in_keyed_output() -> None:
    ids = {"nir": set(), "phone": {"06 12 34 56 78"}, "email": set(), "family_name": set(), "given_name": set()}
    ids["birth_date"] = set()
    assert _leaked(["rappeler le +33 6 12 34 56 78 demain"], ids, set()) == ["phone"]
    digest = "ab" + "0612345678" + "c" * 52
    bloom = json.dumps({"g": "8" * 40 + "612345678" + "0" * 79, "gt": [digest]})
    run_id = "61234567-8abc-4def-8123-456789abcdef"
    assert _leaked([digest, bloom, run_id], ids, set()) == []
    assert _leaked([digest + "0612345678"], ids, set()) == ["phone"]  # written against a digest: still found


def test_no_identifier_reaches_the_warehouse(run) -> None:
    values = _warehouse_text(run.url)
    assert any("<personne>" in _fold(v) for v in values), "redacted case notes should be loaded"
    assert not _leaked(values, identifiers(run.truth), _sites(run.truth))


def test_no_identifier_reaches_the_dagster_event_log_or_a_log_line(run) -> None:
    events = _dagster_text(run.settings.dagster_home)
    assert any("rows_loaded" in v for v in events), "the run's events should be stored under DAGSTER_HOME"
    assert any("loaded" in line and "quarantined" in line for line in run.logs), "ingestion should log its batches"
    ids, sites = identifiers(run.truth), _sites(run.truth)
    assert not _leaked(events, ids, sites), "in the Dagster instance storage"
    assert not _leaked(run.logs, ids, sites), "in a log line"


def test_the_key_appears_in_no_table_event_or_log_line(run) -> None:
    secrets = [line.strip() for line in run.settings.key_file.read_text().splitlines() if line.strip()]
    assert secrets, "the run should have used a key file"
    texts = _warehouse_text(run.url) + _dagster_text(run.settings.dagster_home) + run.logs
    corpus = "\n".join(texts).lower()
    assert not [n for n, secret in enumerate(secrets) if secret.lower() in corpus], "a key line was found"


def test_ground_truth_is_beside_landing_not_inside(run) -> None:
    assert (run.data / "ground_truth").is_dir() and not list(Path(run.data / "landing").rglob("persons.csv"))
