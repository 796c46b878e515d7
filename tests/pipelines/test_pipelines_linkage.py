"""Person linkage at ingestion, on hand-written extracts of two partners: typo-tolerant joins, stable keys,
merges audited without identity, and the opposition list applied in the batch's transaction."""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from pipelines.erasure import forget
from pipelines.identity_store import add_opposition
from pipelines.ingest import IngestContext, ingest_file
from pipelines.quarantine import quarantine_path
from pipelines.quarantine_purge import purge_opposed
from pipelines.retry import retry_quarantine
from pseudonymisation.link_keys import Identity, link_keys, record_key
from pseudonymisation.rights import request_encodings, request_keys
from tests.pipelines.identity_extracts import (
    CONTRACTS,
    HEALTH,
    JUSTICE,
    health_extract,
    justice_extract,
    linking_context,
)
from tests.pipelines.leftovers import as_if_its_writer_exited, rename_failing

HEX = re.compile(r"[0-9a-f]{32}|[0-9a-f]{64}")

MARIE = Identity(given_name="Marie", family_name="Dupont", birth_date="1975-03-12")
# The same person at the court: given and family names swapped, and a letter doubled.
MARIE_AT_COURT = Identity(given_name="DUPONTT", family_name="MARIE", birth_date="1975-03-12")
PAUL = Identity(given_name="Paul", family_name="Martin", birth_date="1980-01-01")
LUCIE = Identity(given_name="Lucie", family_name="Bernard", birth_date="1975-03-12")  # Marie's birth date
JEANNE = Identity(given_name="Jeanne", family_name="Leroy", birth_date="1975-03-12")


@pytest.fixture
def ctx(make_ingest_context) -> IngestContext:
    return linking_context(make_ingest_context)


def _query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _person_of(ctx: IngestContext, source: str, record_id: str) -> str | None:
    rows = _query(
        ctx.url,
        f"select distinct person_key from raw.{source} where record_ref = %s",
        (record_key(ctx.key, source, record_id),),
    )
    assert len(rows) <= 1
    return rows[0][0] if rows else None


def _identity_state(url: str) -> tuple[list[tuple], ...]:
    return (
        _query(url, "select link_key, person_key from identity.link_keys order by link_key"),
        _query(url, "select encoding, person_key from identity.bloom_encodings order by encoding"),
        _query(url, "select absorbed_person_key, kept_person_key, batch_id, kind from audit.person_merges order by 1"),
    )


def test_a_misspelt_swapped_name_at_a_second_partner_gets_the_first_partners_key(
    ctx: IngestContext, tmp_path: Path
) -> None:
    assert not set(link_keys(ctx.key, MARIE)) & set(link_keys(ctx.key, MARIE_AT_COURT)), "exact keys would join"
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", MARIE), ("E2", PAUL), ("E3", LUCIE)]))
    court = ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_AT_COURT), ("J2", JEANNE)]))

    assert _person_of(ctx, "justice_events", "J1") == _person_of(ctx, "health_encounters", "E1")
    # the same birth date and nothing else in common: another person
    assert _person_of(ctx, "justice_events", "J2") not in {
        _person_of(ctx, "health_encounters", e) for e in ("E1", "E2", "E3")
    }
    assert court.persons_new == 1
    merges = _query(ctx.url, "select absorbed_person_key, kept_person_key, batch_id, kind from audit.person_merges")
    assert [(kept, batch, kind) for _, kept, batch, kind in merges] == [
        (_person_of(ctx, "health_encounters", "E1"), court.batch_id, "probabilistic")
    ]
    assert all(HEX.fullmatch(key) for absorbed, kept, _, _ in merges for key in (absorbed, kept))
    # only keyed values are stored: every leaf of every stored encoding is a hex digest or a hex Bloom filter
    for (text,) in _query(ctx.url, "select encoding from identity.bloom_encodings"):
        leaves = [v for value in json.loads(text).values() for v in (value if isinstance(value, list) else [value])]
        assert all(v is None or re.fullmatch(r"[0-9a-f]+", v) for v in leaves)


def test_a_swapped_name_joins_whichever_partner_sent_it_first(ctx: IngestContext, tmp_path: Path) -> None:
    # Two persons, each at both partners: the hospital has one's names straight and the other's swapped (a family
    # name misspelt), the court the reverse. The later batch's record is compared with the stored one, so each
    # pair is weighed in the other direction: the order files arrive in must not decide a join.
    straight, swapped = ("Monique", "Bernard"), ("Bertrand", "Monique")
    first, second = "1957-07-09", "1960-02-03"  # different blocks: the two persons are never compared

    def who(names: tuple[str, str], born: str) -> Identity:
        return Identity(given_name=names[0], family_name=names[1], birth_date=born)

    ingest_file(
        ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", who(straight, first)), ("E2", who(swapped, second))])
    )
    ingest_file(
        ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", who(swapped, first)), ("J2", who(straight, second))])
    )
    assert _person_of(ctx, "justice_events", "J1") == _person_of(ctx, "health_encounters", "E1")
    assert _person_of(ctx, "justice_events", "J2") == _person_of(ctx, "health_encounters", "E2")
    assert _person_of(ctx, "health_encounters", "E1") != _person_of(ctx, "health_encounters", "E2")


def test_next_months_records_join_their_persons_and_reloading_changes_nothing(
    ctx: IngestContext, tmp_path: Path
) -> None:
    rows = [("E1", MARIE), ("E2", PAUL)]
    october = health_extract(tmp_path, "2025-10", rows)
    ingest_file(ctx, HEALTH, october)
    ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_AT_COURT)]))
    before = _identity_state(ctx.url)
    persons = {r: _person_of(ctx, "health_encounters", r) for r, _ in rows}

    assert ingest_file(ctx, HEALTH, october).status == "already_loaded"
    november = ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-11", rows))
    assert (november.status, november.rows_loaded, november.persons_new) == ("loaded", 2, 0)
    assert {r: _person_of(ctx, "health_encounters", r) for r, _ in rows} == persons
    # and the court's December extract, the same rows again: no new key, encoding or merge
    assert ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-12", [("J1", MARIE_AT_COURT)])).persons_new == 0
    assert _identity_state(ctx.url) == before


def _oppose(ctx: IngestContext, who: Identity) -> None:
    keys, _ = request_keys(ctx.key, [{"given_name": who.given_name, "family_name": who.family_name,
                                      "birth_date": who.birth_date}])  # fmt: skip
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        add_opposition(cur, keys)


def _opposed_rows(ctx: IngestContext, batch_id: int) -> list[tuple]:
    return _query(
        ctx.url,
        "select source_row, column_name from audit.rejections where batch_id = %s and reason_code = 'opposition'"
        " order by source_row",
        (batch_id,),
    )


def test_an_opposed_persons_rows_are_counted_and_nothing_of_them_is_stored(ctx: IngestContext, tmp_path: Path) -> None:
    _oppose(ctx, LUCIE)
    lucie_again = Identity(given_name="LUCIE", family_name="BERNARDD", birth_date="1975-03-12")  # a typo too
    health = ingest_file(
        ctx,
        HEALTH,
        health_extract(tmp_path, "2025-10", [("E1", MARIE), ("E2", LUCIE), ("E3", PAUL), ("E4", lucie_again)]),
    )
    assert (health.rows_read, health.rows_loaded, health.rows_quarantined) == (4, 2, 2)
    assert _opposed_rows(ctx, health.batch_id) == [(2, None), (4, None)]  # data rows, from 1
    assert _person_of(ctx, "health_encounters", "E2") is None and _person_of(ctx, "health_encounters", "E4") is None
    stored = {k for (k,) in _query(ctx.url, "select link_key from identity.link_keys")}
    assert not stored & set(link_keys(ctx.key, lucie_again) + link_keys(ctx.key, LUCIE))
    assert _query(ctx.url, "select count(*) from identity.bloom_encodings") == [(2,)]
    assert not list(ctx.quarantine_dir.rglob("*.csv")), "no value of an opposed person is kept for a steward"

    # Opposition added after Marie was loaded: a later row reaching her through a typo is hers too.
    _oppose(ctx, MARIE)
    merges_before = _query(ctx.url, "select count(*) from audit.person_merges")
    court = ingest_file(ctx, JUSTICE, justice_extract(tmp_path, "2025-10", [("J1", MARIE_AT_COURT), ("J2", JEANNE)]))
    assert (court.rows_read, court.rows_loaded, court.rows_quarantined) == (2, 1, 1)
    assert _opposed_rows(ctx, court.batch_id) == [(1, None)]
    assert _person_of(ctx, "justice_events", "J1") is None
    after = {k for (k,) in _query(ctx.url, "select link_key from identity.link_keys")}
    assert stored <= after and after - stored == set(link_keys(ctx.key, JEANNE))  # none of J1's keys
    assert _query(ctx.url, "select count(*) from audit.person_merges") == merges_before
    batches = _query(ctx.url, "select rows_read, rows_loaded, rows_quarantined from audit.batches")
    assert all(read == loaded + quarantined for read, loaded, quarantined in batches)


MARIE_HELENE = Identity(given_name="Marie-Hélène", family_name="Dupont", birth_date="1968-07-04")
# She returns misspelt, without the accent, and without a NIR: no exact link key in common.
MARIE_HELENE_AGAIN = Identity(given_name="Marie-Helene", family_name="Dupond", birth_date="1968-07-04")
CLAIRE = Identity(given_name="Claire", family_name="Moreau", birth_date="1968-07-04")  # her birth date only


def _oppose_identity(ctx: IngestContext, who: Identity) -> None:
    """As `abord opposition add` does: the request's link keys and encodings, nothing else."""
    request = [
        {"given_name": who.given_name, "family_name": who.family_name, "birth_date": who.birth_date, "nir": who.nir}
    ]
    keys, _ = request_keys(ctx.key, request)
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        add_opposition(cur, keys, request_encodings(ctx.key, request))


def test_an_opposed_identity_never_loaded_is_recognised_when_it_returns_misspelt(
    ctx: IngestContext, tmp_path: Path
) -> None:
    assert not set(link_keys(ctx.key, MARIE_HELENE)) & set(link_keys(ctx.key, MARIE_HELENE_AGAIN))
    _oppose_identity(ctx, MARIE_HELENE)
    assert _query(ctx.url, "select count(*) from identity.link_keys") == [(0,)]

    health = ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", MARIE_HELENE_AGAIN), ("E2", CLAIRE)]))
    assert (health.rows_read, health.rows_loaded, health.rows_quarantined) == (2, 1, 1)
    assert _opposed_rows(ctx, health.batch_id) == [(1, None)]
    assert _person_of(ctx, "health_encounters", "E1") is None
    assert _person_of(ctx, "health_encounters", "E2") is not None  # the same birth date does not make her opposed
    stored = {k for (k,) in _query(ctx.url, "select link_key from identity.link_keys")}
    assert stored == set(link_keys(ctx.key, CLAIRE))


def test_an_erased_person_returning_misspelt_is_not_loaded_again(ctx: IngestContext, tmp_path: Path) -> None:
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", MARIE_HELENE), ("E2", CLAIRE)]))
    erased = _person_of(ctx, "health_encounters", "E1")
    keys, _ = request_keys(ctx.key, [{"given_name": "Marie-Hélène", "family_name": "Dupont",
                                      "birth_date": "1968-07-04"}])  # fmt: skip
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert forget(cur, keys, [HEALTH.raw_table, JUSTICE.raw_table], requested=1).persons == 1
    # her encoding stays, as opposition, under a key no row ever carried
    persons = {p for (p,) in _query(ctx.url, "select person_key from identity.bloom_encodings")}
    assert erased not in persons and len(persons) == 2

    court = ingest_file(
        ctx, JUSTICE, justice_extract(tmp_path, "2025-11", [("J1", MARIE_HELENE_AGAIN), ("J2", CLAIRE)])
    )
    assert (court.rows_loaded, court.rows_quarantined) == (1, 1)
    assert _opposed_rows(ctx, court.batch_id) == [(1, None)]
    assert _person_of(ctx, "justice_events", "J2") == _person_of(ctx, "health_encounters", "E2")


class _NoNotes:
    def redact_many(self, texts: list, names: list) -> list[None]:
        return [None] * len(texts)


def _housing(root: Path, entity: str, period: str, rows: list[list[str]]) -> Path:
    contract = CONTRACTS[f"housing_{entity}"]
    path = root / "housing" / f"{entity}_{period}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="latin-1", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([c.name for c in contract.columns])
        writer.writerows(rows)
    return path


PARTICIPANTS, TENANCIES = CONTRACTS["housing_participants"], CONTRACTS["housing_tenancies"]


def _housing_her_opposed(make_ingest_context) -> IngestContext:
    """The housing sources' context, Marie-Hélène on the opposition list (never loaded)."""
    ctx = make_ingest_context(_NoNotes)
    ctx.ensure_schema()
    _oppose_identity(ctx, MARIE_HELENE)
    return ctx


def _tenancies(ctx: IngestContext, root: Path, period: str, rows: list[tuple[str, str, str]]):
    """A tenancy in Lyon per (tenancy id, participant id, start date)."""
    lines = [[tenancy, participant, "Lyon", start, "", "", "500"] for tenancy, participant, start in rows]
    return ingest_file(ctx, TENANCIES, _housing(root, "tenancies", period, lines))


def _participants(ctx: IngestContext, root: Path, claire: str):
    """Marie-Hélène misspelt as participant P1 (opposed), and Claire, of her birth date, as participant `claire`."""
    people = [["P1", "Dupond", "Marie-Helene", "04/07/1968", "", "", "", "Lyon", "", "01/09/2025", ""],
              [claire, "Moreau", "Claire", "04/07/1968", "", "", "", "Lyon", "", "01/09/2025", ""]]  # fmt: skip
    return ingest_file(ctx, PARTICIPANTS, _housing(root, "participants", "2025-10", people))


def test_a_tenancy_loaded_before_its_opposed_participant_is_taken_out_and_counted(
    make_ingest_context, tmp_path: Path
) -> None:
    ctx = _housing_her_opposed(make_ingest_context)
    # The tenancies arrive first: they name the participant's record, not the person.
    early = _tenancies(ctx, tmp_path, "2025-10", [("B1", "P1", "01/09/2025"), ("B2", "P2", "01/09/2025")])
    assert early.rows_loaded == 2
    batch = _participants(ctx, tmp_path, "P2")
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 1)
    assert _opposed_rows(ctx, batch.batch_id) == [(1, None)]
    # Her tenancy is taken out of raw and counted, in its own batch, as set aside for opposition.
    assert _person_of(ctx, "housing_tenancies", "B1") is None
    assert _person_of(ctx, "housing_tenancies", "B2") == _person_of(ctx, "housing_participants", "P2")
    assert _query(ctx.url, "select rows_read, rows_loaded, rows_quarantined from audit.batches where batch_id = %s",
                  (early.batch_id,)) == [(2, 1, 1)]  # fmt: skip
    assert _opposed_rows(ctx, early.batch_id) == [(1, None)]
    # and next month's tenancy naming her record is set aside at once
    later = _tenancies(ctx, tmp_path, "2025-11", [("B1", "P1", "01/09/2025")])
    assert (later.rows_loaded, later.rows_quarantined) == (0, 1)


def _nir(body: str) -> str:
    return body + f"{97 - int(body) % 97:02d}"


LUCIE_NIR = Identity(given_name="Lucie", family_name="Bernard", birth_date="1975-03-12", nir=_nir("2750369123123"))
LUCIE_SIGNS = ("lucie", "bernard", LUCIE_NIR.nir)  # what of her a quarantine file must not hold
BAD_DAY = "2025-13-45"


def _kept_anywhere(ctx: IngestContext, signs: tuple[str, ...]) -> list[str]:
    """The signs found in any file under the quarantine directory (partial and temporary files included)."""
    text = "".join(p.read_text(encoding="utf-8").lower() for p in ctx.quarantine_dir.rglob("*") if p.is_file())
    return [sign for sign in signs if sign.lower() in text]


def _reasons(ctx: IngestContext, batch_id: int) -> list[tuple]:
    return _query(
        ctx.url,
        "select source_row, reason_code from audit.rejections where batch_id = %s order by 1, 2",
        (batch_id,),
    )


def _balanced(ctx: IngestContext) -> bool:
    batches = _query(ctx.url, "select rows_read, rows_loaded, rows_quarantined from audit.batches")
    return all(read == loaded + quarantined for read, loaded, quarantined in batches)


def _quarantined(ctx: IngestContext, path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _assert_set_aside(ctx: IngestContext, batch, counts: tuple[int, int, int], reasons: dict[int, str]) -> None:
    """The batch's rows read, loaded and quarantined, its reason per row; nothing of Lucie's in any file; every
    batch adds up."""
    assert (batch.rows_read, batch.rows_loaded, batch.rows_quarantined) == counts
    assert dict(_reasons(ctx, batch.batch_id)) == reasons
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == []
    assert _balanced(ctx)


def test_an_opposed_persons_row_rejected_at_validation_is_counted_and_kept_nowhere(
    ctx: IngestContext, tmp_path: Path
) -> None:
    _oppose_identity(ctx, LUCIE_NIR)
    lucie_misspelt = Identity(given_name="LUCIE", family_name="BERNARDD", birth_date="1975-03-12")  # no NIR
    # her birth date unreadable: her NIR, still read, is enough to know her
    lucie_by_nir = Identity(given_name="Lucie", family_name="Bernard", birth_date="31/31/1975", nir=LUCIE_NIR.nir)
    rows = [("E1", MARIE), ("E2", LUCIE_NIR), ("E3", lucie_misspelt), ("E4", lucie_by_nir), ("E5", PAUL)]
    bad = {"E2": BAD_DAY, "E3": BAD_DAY, "E5": BAD_DAY}
    extract = health_extract(tmp_path, "2025-10", rows, admitted=bad)
    with extract.open("a", encoding="utf-8") as handle:  # a field too many, after her identity: still read
        handle.write(f"E6,Bernard,Lucie,1975-03-12,{LUCIE_NIR.nir},,urgence,,2025-10-01,,one too many\n")
    health = ingest_file(ctx, HEALTH, extract)

    reasons = {2: "opposition", 3: "opposition", 4: "opposition", 5: "invalid_date", 6: "opposition"}
    _assert_set_aside(ctx, health, (6, 1, 5), reasons)
    # no over-reach: a rejected row of a person who did not oppose keeps its values for the steward
    (paul,) = _quarantined(ctx, quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv"))
    assert (paul["source_row"], paul["given_name"], paul["admission_date"]) == ("5", "Paul", BAD_DAY)


def test_an_opposed_persons_repeated_record_is_counted_and_kept_nowhere(ctx: IngestContext, tmp_path: Path) -> None:
    _oppose_identity(ctx, LUCIE_NIR)
    rows = [("E1", LUCIE_NIR), ("E2", PAUL), ("E1", LUCIE_NIR), ("E1", JEANNE), ("E2", PAUL)]
    health = ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows))

    _assert_set_aside(ctx, health, (5, 1, 4), {1: "opposition", 3: "opposition", 4: "duplicate_id", 5: "duplicate_id"})
    lines = _quarantined(ctx, quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv"))
    # another person under her record id stays for the steward; the first copy, set aside, is not said loaded
    assert [(line["source_row"], line["given_name"], line["message"]) for line in lines] == [
        ("4", "Jeanne", "'E1' appears twice: row 1 came first"),
        ("5", "Paul", "'E2' appears twice: row 2 came first"),
    ]


def test_a_retried_quarantine_file_sets_aside_the_rows_of_a_person_opposed_since(
    ctx: IngestContext, tmp_path: Path
) -> None:
    lucie_misspelt = Identity(given_name="LUCIE", family_name="BERNARDD", birth_date="1975-03-12")
    rows = [("E1", MARIE), ("E2", LUCIE_NIR), ("E3", lucie_misspelt), ("E4", PAUL)]
    first = ingest_file(
        ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3", "E4"], BAD_DAY))
    )
    assert (first.rows_loaded, first.rows_quarantined) == (1, 3)
    _oppose_identity(ctx, LUCIE_NIR)
    # The steward fixes Paul's row and one of hers; her other row is still wrong.
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    lines = _quarantined(ctx, quarantine)
    for line in lines:
        if line["encounter_id"] in ("E2", "E4"):
            line["admission_date"] = "2025-10-01"
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)

    retried = retry_quarantine(ctx, quarantine)
    _assert_set_aside(ctx, retried, (3, 1, 2), {2: "opposition", 3: "opposition"})
    assert _person_of(ctx, "health_encounters", "E4") is not None
    assert not quarantine.exists(), "nothing left to fix"


def test_opposition_and_erasure_take_their_persons_rows_out_of_quarantine_files(
    ctx: IngestContext, tmp_path: Path
) -> None:
    lucie_misspelt = Identity(given_name="LUCIE", family_name="BERNARDD", birth_date="1975-03-12")
    october = ingest_file(
        ctx,
        HEALTH,
        health_extract(
            tmp_path,
            "2025-10",
            [("E1", MARIE), ("E2", LUCIE_NIR), ("E3", lucie_misspelt), ("E4", PAUL)],
            admitted=dict.fromkeys(["E2", "E3", "E4"], BAD_DAY),
        ),
    )
    november = ingest_file(
        ctx,
        HEALTH,
        health_extract(
            tmp_path, "2025-11", [("E5", MARIE), ("E6", CLAIRE)], admitted=dict.fromkeys(["E5", "E6"], BAD_DAY)
        ),
    )
    files = [quarantine_path(ctx.quarantine_dir, HEALTH.name, f"encounters_{m}.csv") for m in ("2025-10", "2025-11")]

    def purged() -> int:
        with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
            return purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today)

    assert purged().rows == 0  # nobody opposed yet: every row stays for the steward
    assert [len(_quarantined(ctx, f)) for f in files] == [3, 2]

    _oppose_identity(ctx, LUCIE_NIR)  # she was never loaded: her rows wait in quarantine only, one misspelt
    assert purged().rows == 2
    assert [line["source_row"] for line in _quarantined(ctx, files[0])] == ["4"]  # Paul's, untouched
    assert _reasons(ctx, october.batch_id) == [(2, "opposition"), (3, "opposition"), (4, "invalid_date")]
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == []

    keys, _ = request_keys(ctx.key, [{"given_name": "Marie", "family_name": "Dupont", "birth_date": "1975-03-12"}])
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert forget(cur, keys, [HEALTH.raw_table, JUSTICE.raw_table], requested=1).persons == 1
        assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 1
    assert [line["given_name"] for line in _quarantined(ctx, files[1])] == ["Claire"]
    assert _reasons(ctx, november.batch_id) == [(1, "opposition"), (2, "invalid_date")]
    assert _kept_anywhere(ctx, ("marie", "dupont")) == []
    assert _balanced(ctx)
    # a file left with no row goes: nothing to retry
    _oppose_identity(ctx, PAUL)
    assert purged().rows == 1 and not files[0].exists()


def _her_line_under_his_number(ctx: IngestContext, tmp_path: Path) -> Path:
    """Paul's and Lucie's rows to fix, her line moved under his number by the steward: a retry refuses it, not to
    fix (a row to fix twice)."""
    rows = [("E1", MARIE), ("E2", PAUL), ("E3", LUCIE_NIR)]
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3"], BAD_DAY)))
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    lines = _quarantined(ctx, quarantine)
    lines[1]["source_row"] = "2"
    _save(quarantine, lines)
    return quarantine


def _save(quarantine: Path, lines: list[dict[str, str]]) -> None:
    """The quarantine file as the steward saves it."""
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)


def test_a_retry_sets_aside_a_line_refused_not_to_fix_of_a_person_opposed_and_keeps_the_row_to_fix_of_its_number(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """As the purge below, when she is opposed before the retry: the retry set aside both lines of the number,
    Paul's row to fix counted as opposition and gone from the file. Only her line goes."""
    quarantine = _her_line_under_his_number(ctx, tmp_path)
    _oppose_identity(ctx, LUCIE_NIR)

    retried = retry_quarantine(ctx, quarantine)

    assert (retried.rows_read, retried.rows_loaded, retried.rows_quarantined) == (2, 0, 2)
    assert [(line["source_row"], line["given_name"]) for line in _quarantined(ctx, quarantine)] == [("2", "Paul")]
    assert _reasons(ctx, retried.batch_id) == [(2, "invalid_date"), (2, "not_to_fix")]
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


def test_opposition_takes_out_a_line_refused_not_to_fix_and_leaves_the_row_to_fix_of_its_number(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """The steward put Lucie's line under Paul's source row; the retry refused it as not to fix (a row to fix
    twice). Her opposition took every line of that number out of the file, Paul's row to fix with hers, and counted
    it as opposition: his row was lost without trace. Only her line goes; Paul's stays to fix, its reasons as
    they were (hers, not to fix, never loaded)."""
    quarantine = _her_line_under_his_number(ctx, tmp_path)
    retried = retry_quarantine(ctx, quarantine)
    assert _reasons(ctx, retried.batch_id) == [(2, "invalid_date"), (2, "not_to_fix")]

    _oppose_identity(ctx, LUCIE_NIR)
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 1

    assert [(line["source_row"], line["given_name"]) for line in _quarantined(ctx, quarantine)] == [("2", "Paul")]
    assert _reasons(ctx, retried.batch_id) == [(2, "invalid_date"), (2, "not_to_fix")]
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


@pytest.mark.parametrize("opposed", ["before_the_retry", "after_the_retry"])
def test_a_line_left_under_an_opposed_persons_row_is_never_loaded_by_a_retry(
    ctx: IngestContext, tmp_path: Path, opposed: str
) -> None:
    """The steward moved Paul's line under Lucie's source row, after hers; the retry refused it as not to fix. Her
    opposition (found by that retry, or by `abord opposition add` after it) took her line out of the file but left
    her row to fix, his line under its number: the steward fixed that line and the next retry loaded it as her row.
    Her row is set aside for opposition; a line under its number is refused, the file, line and why said."""
    rows = [("E1", MARIE), ("E2", PAUL), ("E3", LUCIE_NIR)]
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3"], BAD_DAY)))
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    paul, lucie = _quarantined(ctx, quarantine)
    _save(quarantine, [lucie, {**paul, "source_row": lucie["source_row"]}])
    if opposed == "before_the_retry":
        _oppose_identity(ctx, LUCIE_NIR)
    first = retry_quarantine(ctx, quarantine)
    if opposed == "after_the_retry":
        _oppose_identity(ctx, LUCIE_NIR)
        with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
            assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 1
    assert _reasons(ctx, first.batch_id) == [(3, "opposition")]
    (left,) = _quarantined(ctx, quarantine)
    assert (left["source_row"], left["given_name"], left["reason_code"]) == ("3", "Paul", "not_to_fix")

    _save(quarantine, [{**left, "admission_date": "2025-10-01"}])  # the line to delete, fixed
    second = retry_quarantine(ctx, quarantine)

    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (1, 0, 1)
    assert _person_of(ctx, "health_encounters", "E2") is None
    (refused,) = _quarantined(ctx, quarantine)
    assert (refused["source_row"], refused["reason_code"]) == ("3", "not_to_fix")
    assert refused["message"] == (
        f"{quarantine.name}: line 2: source_row 3 was set aside, its person having objected to the use of their data"
        " (opposition): nothing under its number is loaded, delete this line"
    )
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


def test_not_to_fix_written_into_an_opposed_persons_own_line_never_lets_another_line_load_as_her_row(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """The steward copied Paul's line under Lucie's source row, after hers; the retry refused the copy as not to
    fix. Filling the reason_code column down, they wrote not_to_fix into her own line too. Her opposition then took
    her line out of the file but left her row to fix (a line said not to fix was taken for another's), the copy
    under its number: fixed, the next retry loaded it as her row. A row is kept to fix only by a line of its own
    (none of its lines says not_to_fix): hers is set aside, the copy refused."""
    rows = [("E1", MARIE), ("E2", PAUL), ("E3", LUCIE_NIR)]
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3"], BAD_DAY)))
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    paul, lucie = _quarantined(ctx, quarantine)
    _save(quarantine, [paul, lucie, {**paul, "source_row": lucie["source_row"]}])
    first = retry_quarantine(ctx, quarantine)
    assert _reasons(ctx, first.batch_id) == [(2, "invalid_date"), (3, "invalid_date"), (3, "not_to_fix")]
    _save(quarantine, [{**line, "reason_code": "not_to_fix"} for line in _quarantined(ctx, quarantine)])

    _oppose_identity(ctx, LUCIE_NIR)
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 1
    assert _reasons(ctx, first.batch_id) == [(2, "invalid_date"), (3, "opposition")]
    _save(quarantine, [{**line, "admission_date": "2025-10-01"} for line in _quarantined(ctx, quarantine)])
    second = retry_quarantine(ctx, quarantine)

    assert (second.rows_read, second.rows_loaded, second.rows_quarantined) == (2, 0, 2)
    assert _person_of(ctx, "health_encounters", "E2") is None
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


def test_a_reason_code_emptied_on_a_line_refused_under_a_row_to_fix_leaves_that_row_to_fix(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """The retry refused Lucie's line under Paul's source row as not to fix, after his; the steward emptied its
    reason_code. Her opposition then took her line for the row's own and set Paul's row to fix aside as hers: his row
    was lost, counted as opposition, and the next retry refused his line as an opposed person's. A row's own line is
    the one a retry loads, the first of its lines not said not to fix: his; her line goes, his row stays to fix."""
    quarantine = _her_line_under_his_number(ctx, tmp_path)
    retried = retry_quarantine(ctx, quarantine)
    paul, lucie = _quarantined(ctx, quarantine)
    assert (lucie["source_row"], lucie["reason_code"]) == ("2", "not_to_fix")
    _save(quarantine, [paul, {**lucie, "reason_code": ""}])

    _oppose_identity(ctx, LUCIE_NIR)
    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 1

    assert [(line["source_row"], line["given_name"]) for line in _quarantined(ctx, quarantine)] == [("2", "Paul")]
    assert _reasons(ctx, retried.batch_id) == [(2, "invalid_date"), (2, "not_to_fix")]
    _save(quarantine, [{**paul, "admission_date": "2025-10-01"}])
    again = retry_quarantine(ctx, quarantine)
    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (1, 1, 0)
    assert _person_of(ctx, "health_encounters", "E2") is not None
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


def test_a_line_a_retry_refused_is_never_loaded_as_its_numbers_row(ctx: IngestContext, tmp_path: Path) -> None:
    """The steward deleted Paul's own line (giving his row up) and fixed Lucie's line the retry had refused under
    his number: the next retry loaded it as his row, a row of hers under his number. A line saying not_to_fix is
    refused again, never loaded; his row is given up."""
    quarantine = _her_line_under_his_number(ctx, tmp_path)
    retry_quarantine(ctx, quarantine)
    _, lucie = _quarantined(ctx, quarantine)
    _save(quarantine, [{**lucie, "admission_date": "2025-10-01"}])

    again = retry_quarantine(ctx, quarantine)

    assert (again.rows_read, again.rows_loaded, again.rows_quarantined, again.given_up) == (1, 0, 1, 1)
    assert _person_of(ctx, "health_encounters", "E3") is None
    (refused,) = _quarantined(ctx, quarantine)
    assert (refused["source_row"], refused["reason_code"]) == ("2", "not_to_fix")
    assert refused["message"] == (
        f"{quarantine.name}: line 2: source_row 2 was refused by a retry already (reason_code not_to_fix): it is"
        " not its row's own line, nothing in it is loaded, delete this line"
    )
    assert _balanced(ctx)


def test_a_row_a_retry_held_back_as_a_duplicate_keeps_its_own_line_for_the_next_retry(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """Jeanne's line, fixed with Paul's record id by mistake, and the steward's second try under her number after
    it: the retry refused the second try as not to fix at once, and held her line back as a possible duplicate,
    writing it after (a duplicate of row 2). The next retry took the first line of her number for her row: it
    loaded the refused line and refused her own, fixed. Her own line is the one not said not to fix."""
    rows = [("E1", MARIE), ("E2", PAUL), ("E3", JEANNE)]
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3"], BAD_DAY)))
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    paul, jeanne = _quarantined(ctx, quarantine)
    fixed = {**jeanne, "admission_date": "2025-10-01"}
    second_try = {**jeanne, "admission_date": "2025-10-02"}
    _save(quarantine, [{**paul, "admission_date": "2025-10-01"}, {**fixed, "encounter_id": "E2"}, second_try])
    retry_quarantine(ctx, quarantine)
    held = [(line["source_row"], line["reason_code"]) for line in _quarantined(ctx, quarantine)]
    assert sorted(held) == [("3", "duplicate_id"), ("3", "not_to_fix")]

    _save(quarantine, [line | {"encounter_id": "E3"} for line in _quarantined(ctx, quarantine)])
    again = retry_quarantine(ctx, quarantine)

    assert (again.rows_read, again.rows_loaded, again.rows_quarantined) == (2, 1, 1)
    admitted = _query(ctx.url, "select admission_date::text from raw.health_encounters where source_row = 3")
    assert admitted == [("2025-10-01",)]
    (refused,) = _quarantined(ctx, quarantine)
    assert (refused["reason_code"], refused["admission_date"]) == ("not_to_fix", "2025-10-02")


def test_a_retry_writes_a_row_it_held_back_as_a_duplicate_at_its_place_in_the_quarantine_file(
    ctx: IngestContext, tmp_path: Path
) -> None:
    """A row held back as a possible duplicate until the rows spooled could be compared was written last, after the
    lines rejected meanwhile: after the line the retry refused under its number (not to fix) and the rows after it,
    out of the order the steward fixes the file in. It is written at its row's place, its own line first; the lines
    after it move down, and an opposed person's among them is still the one taken out."""
    rows = [("E1", MARIE), ("E2", PAUL), ("E3", JEANNE), ("E4", LUCIE_NIR)]
    bad = dict.fromkeys(["E2", "E3", "E4"], BAD_DAY)
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", rows, admitted=bad))
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    paul, jeanne, lucie = _quarantined(ctx, quarantine)
    fixed = {**jeanne, "admission_date": "2025-10-01"}
    lines = [{**paul, "admission_date": "2025-10-01"}, {**fixed, "encounter_id": "E2"}, fixed, lucie]
    _save(quarantine, lines)
    _oppose_identity(ctx, LUCIE_NIR)

    retried = retry_quarantine(ctx, quarantine)

    assert (retried.rows_read, retried.rows_loaded, retried.rows_quarantined) == (4, 1, 3)
    held = [(line["source_row"], line["encounter_id"], line["reason_code"]) for line in _quarantined(ctx, quarantine)]
    assert held == [("3", "E2", "duplicate_id"), ("3", "E3", "not_to_fix")]
    assert _reasons(ctx, retried.batch_id) == [(3, "duplicate_id"), (3, "not_to_fix"), (4, "opposition")]
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == [] and _balanced(ctx)


def test_opposition_takes_their_rows_out_of_the_partial_quarantine_files_left_behind(
    ctx: IngestContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's file whose rename failed after its commit (the only copy of its rows) and one a load killed
    before its commit left are read as they are: no rejected row of hers is kept in any form of file."""
    rows = [("E1", MARIE), ("E2", LUCIE_NIR), ("E3", PAUL), ("E4", JEANNE)]
    extract = health_extract(tmp_path, "2025-10", rows, admitted=dict.fromkeys(["E2", "E3", "E4"], BAD_DAY))
    committed = rename_failing(ctx.quarantine_dir, monkeypatch, lambda: ingest_file(ctx, HEALTH, extract))
    committed = as_if_its_writer_exited(committed)
    killed = committed.with_name(re.sub(r"\.[0-9a-f]{64}\.", f".{'c' * 64}.", committed.name))
    shutil.copyfile(committed, killed)
    _oppose_identity(ctx, LUCIE_NIR)

    with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
        assert purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today).rows == 2
    assert _kept_anywhere(ctx, LUCIE_SIGNS) == []
    assert [line["given_name"] for line in _quarantined(ctx, committed)] == ["Paul", "Jeanne"]
    assert _quarantined(ctx, killed) == _quarantined(ctx, committed)
    ((batch_id,),) = _query(ctx.url, "select batch_id from audit.batches")
    assert _reasons(ctx, batch_id) == [(2, "opposition"), (3, "invalid_date"), (4, "invalid_date")]  # counted once

    # Paul opposed with no purge (a request made while purges read files in place only): the source's next load
    # puts the committed batch's file in place without his row, and removes the other
    _oppose_identity(ctx, PAUL)
    assert ingest_file(ctx, HEALTH, extract).status == "already_loaded"
    quarantine = quarantine_path(ctx.quarantine_dir, HEALTH.name, "encounters_2025-10.csv")
    assert list(quarantine.parent.iterdir()) == [quarantine]
    assert [line["given_name"] for line in _quarantined(ctx, quarantine)] == ["Jeanne"]
    assert _kept_anywhere(ctx, (*LUCIE_SIGNS, "paul", "martin")) == []
    assert _reasons(ctx, batch_id) == [(2, "opposition"), (3, "opposition"), (4, "invalid_date")]


def test_a_batch_finding_a_person_opposed_takes_their_rows_out_of_other_quarantine_files(
    make_ingest_context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _housing_her_opposed(make_ingest_context)
    # Two tenancies with a wrong start date wait in quarantine: one names her participant record, not her.
    rows = [("B1", "P1", "31/31/2025"), ("B2", "P2", "01/09/2025"), ("B3", "P3", "31/31/2025")]
    early = _tenancies(ctx, tmp_path, "2025-10", rows)
    assert (early.rows_read, early.rows_loaded, early.rows_quarantined) == (3, 1, 2)
    waiting = quarantine_path(ctx.quarantine_dir, TENANCIES.name, "tenancies_2025-10.csv")
    assert [line["id_bail"] for line in _quarantined(ctx, waiting)] == ["B1", "B3"]

    import pipelines.quarantine_purge as quarantine_purge

    read: list[Path | None] = []
    purge_files = quarantine_purge.purge_files
    monkeypatch.setattr(quarantine_purge, "purge_files", lambda *a: read.append(a[2]) or purge_files(*a))
    # Claire's health visit adds nobody to the opposition list: no other quarantine file is read
    ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", CLAIRE)]))
    assert read == []
    # The participants: P1 is her, misspelt. Her record id joins the opposition list, and her tenancy's line goes.
    batch = _participants(ctx, tmp_path, "P3")
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 1)
    assert [line["id_bail"] for line in _quarantined(ctx, waiting)] == ["B3"]  # Claire's, for the steward
    # counted in the tenancies' batch as set aside for opposition: its total unchanged, every batch adds up
    assert _reasons(ctx, early.batch_id) == [(1, "opposition"), (3, "invalid_date")]
    assert _query(ctx.url, "select rows_read, rows_loaded, rows_quarantined from audit.batches where batch_id = %s",
                  (early.batch_id,)) == [(3, 1, 2)]  # fmt: skip
    assert _balanced(ctx)
    assert read == [quarantine_path(ctx.quarantine_dir, PARTICIPANTS.name, "participants_2025-10.csv")]  # skipped


def test_a_batch_finding_a_person_opposed_commits_past_a_quarantine_file_it_cannot_read(
    make_ingest_context, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = _housing_her_opposed(make_ingest_context)
    _tenancies(ctx, tmp_path, "2025-10", [("B1", "P1", "31/31/2025"), ("B3", "P3", "31/31/2025")])
    waiting = quarantine_path(ctx.quarantine_dir, TENANCIES.name, "tenancies_2025-10.csv")
    lines = list(csv.reader(waiting.open(encoding="utf-8", newline="")))
    # the steward's spreadsheet saved it again with ';' between values
    with waiting.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(lines)
    saved = waiting.read_bytes()
    caplog.set_level(logging.WARNING, logger="pipelines.ingest")

    batch = _participants(ctx, tmp_path, "P3")  # P1 is her: the file is read for her tenancy's line, and cannot be
    assert (batch.rows_loaded, batch.rows_quarantined) == (1, 1)
    assert waiting.read_bytes() == saved  # left as it is
    [warning] = [m for m in caplog.messages if waiting.name in m]
    assert f"{TENANCIES.name}/{waiting.name}: line 1 is not the header of a quarantine file" in warning
    assert not any(value in caplog.text for value in ("31/31/2025", "Dupond", "Moreau"))
    # saved properly, its retry sets her line aside as the warning says
    with waiting.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    retried = retry_quarantine(ctx, waiting)
    assert (retried.rows_read, retried.rows_loaded, retried.rows_quarantined) == (2, 0, 2)
    assert _reasons(ctx, retried.batch_id) == [(1, "opposition"), (2, "invalid_date")]
    assert [line["id_bail"] for line in _quarantined(ctx, waiting)] == ["B3"]


def test_a_birth_date_on_the_programmes_day_links_when_the_machine_is_a_day_behind(
    ctx: IngestContext, tmp_path: Path
) -> None:
    ctx.today += timedelta(days=1)  # the programme's day (ABORD_TIMEZONE), past midnight before the machine's
    born = Identity(given_name="Nadia", family_name="Petit", birth_date=ctx.today.isoformat())
    health = ingest_file(ctx, HEALTH, health_extract(tmp_path, "2025-10", [("E1", born)]))
    assert (health.rows_loaded, health.rows_quarantined) == (1, 0)
    # keyed by her names and birth date, and encoded, as on any other day
    stored = {k for (k,) in _query(ctx.url, "select link_key from identity.link_keys")}
    assert stored == set(link_keys(ctx.key, born, ctx.today)) and len(stored) >= 2
    assert _query(ctx.url, "select count(*) from identity.bloom_encodings") == [(1,)]


def test_a_retry_through_a_symlinked_quarantine_folder_does_not_purge_its_own_file(
    make_ingest_context, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The quarantine folder a link to another disk: `abord quarantine retry` resolves the file it is given, the
    purge of the other quarantine files listed them through the link, so the file being retried was not told from
    them: a retry finding a person opposed rewrote it before its commit and told of rows taken out of other files."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "quarantine").symlink_to(tmp_path / "elsewhere")
    ctx = _housing_her_opposed(make_ingest_context)
    people = [["P1", "Dupond", "Marie-Helene", "31/31/1968", "", "", "", "Lyon", "", "01/09/2025", ""],
              ["P2", "Moreau", "Claire", "04/07/1968", "", "", "", "Lyon", "", "01/09/2025", ""]]  # fmt: skip
    first = ingest_file(ctx, PARTICIPANTS, _housing(tmp_path, "participants", "2025-10", people))
    assert (first.rows_loaded, first.rows_quarantined) == (1, 1)
    waiting = quarantine_path(ctx.quarantine_dir, PARTICIPANTS.name, "participants_2025-10.csv")
    waiting.write_bytes(waiting.read_bytes().replace(b"31/31/1968", b"04/07/1968"))  # her birth date fixed
    caplog.set_level(logging.INFO, logger="pipelines.ingest")

    retried = retry_quarantine(ctx, waiting.resolve())  # as the command line gives it
    assert (retried.rows_read, retried.rows_loaded, retried.rows_quarantined) == (1, 0, 1)
    assert _reasons(ctx, retried.batch_id) == [(1, "opposition")] and not waiting.exists()
    assert "other quarantine files" not in caplog.text, caplog.text
