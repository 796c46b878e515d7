"""The batch ledger: a re-sent period replaces the earlier one atomically, the same file twice adds nothing,
snapshot and append sources differ in which batches are current (a snapshot source keeps the raw rows of its
current batches only), and a fixed quarantine file joins its batch."""

from __future__ import annotations

import csv
import functools
import hashlib
import logging
import multiprocessing
import os
import re
import shlex
import shutil
import signal
import subprocess
import time
import tracemalloc
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from pipelines import ingest, ledger, quarantine_leftovers
from pipelines.contract import load_contracts
from pipelines.ingest import IngestContext, ingest_file
from pipelines.pipeline import ensure_raw_tables
from pipelines.quarantine import (
    QuarantineWriter,
    Rejected,
    drop_lines,
    numbered_rows,
    quarantine_path,
    snapshot,
    write_quarantine,
    writer_tag,
)
from pipelines.quarantine_purge import purge_opposed
from pipelines.raw_tables import RawTableOutOfStep, raw_table_ddl
from pipelines.record_fingerprints import RecordFingerprints
from pipelines.retry import RetryRefused, retry_quarantine
from pipelines.validation import Problem
from pipelines.writer_lock import WRITER_LOCK, held_for_a_build
from pseudonymisation.keys import KeyFileError
from pseudonymisation.link_keys import record_key
from tests.pipelines.file_mishaps import deny_opening
from tests.pipelines.leftovers import as_if_its_writer_exited, as_if_written_by, gone_pid, rename_failing, started

CONTRACTS = load_contracts()
TENANCIES = CONTRACTS["housing_tenancies"]
HEADER = "id_bail;id_participant;site;date_debut;date_fin;motif_sortie;loyer_mensuel"


def _write(directory: Path, period: str, rows: list[str]) -> Path:
    path = directory / f"tenancies_{period}.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("latin-1"))
    return path


def _rows(*ids: str, bad: str | None = None) -> list[str]:
    rows = [f"{i};P{i};Lyon;03/02/2021;;;400,00" for i in ids]
    return rows + ([f"{bad};P{bad};Lyon;31/02/2021;;;400,00"] if bad else [])


@pytest.fixture
def ctx(make_ingest_context) -> IngestContext:
    return make_ingest_context(lambda: None, date(2026, 1, 15))


def _query(url: str, sql: str, params=None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _state(url: str) -> tuple:
    return (
        _query(url, "select batch_id, status, replaced_by, rows_loaded, outdated_by from audit.batches order by 1"),
        _query(url, "select batch_id, source_row, record_ref from raw.housing_tenancies order by 1, 2"),
        _query(url, "select * from identity.link_keys order by link_key"),
    )


def test_a_corrected_month_replaces_the_earlier_batch(ctx: IngestContext, tmp_path: Path) -> None:
    november = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("B1", "B2")))
    first = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2", bad="B3")))
    assert first.rows_quarantined == 1
    first_quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    assert first_quarantine.exists()

    corrected = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2", "B3", "B4")))

    assert corrected.status == "loaded" and corrected.replaced == (first.batch_id,) and not corrected.outdated
    assert first.outdated == (november.batch_id,)
    batches = _query(
        ctx.url, "select batch_id, status, replaced_by, outdated_by, rows_loaded from audit.batches order by batch_id"
    )
    assert batches == [
        (november.batch_id, "loaded", None, first.batch_id, 2),  # outdated by December's first send
        (first.batch_id, "replaced", corrected.batch_id, None, 2),
        (corrected.batch_id, "loaded", None, None, 4),
    ]
    # raw holds the current send alone; the ledger keeps every send's line
    per_batch = dict(_query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by batch_id"))
    assert per_batch == {corrected.batch_id: 4}
    # snapshot: the latest period's batch alone is current
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(corrected.batch_id,)]
    assert not first_quarantine.exists(), "the replaced batch's rejected rows are no longer current"
    # rows of the replaced batch stay counted in its own ledger line, which still balances
    assert _query(
        ctx.url,
        "select rows_read = rows_loaded + rows_quarantined from audit.batches where batch_id = %s",
        (first.batch_id,),
    ) == [(True,)]


def test_the_same_files_twice_change_nothing(ctx: IngestContext, tmp_path: Path) -> None:
    old = tmp_path / "old"
    old.mkdir()
    version_1 = _write(old, "2025-12", _rows("B1", "B2"))
    ingest_file(ctx, TENANCIES, version_1)
    version_2 = _write(tmp_path, "2025-12", _rows("B1", "B2", "B3"))
    loaded = ingest_file(ctx, TENANCIES, version_2)
    # a file read alone is known by its own sha256, as the ledgers of deployments recorded it (a FHIR export's is not)
    sha = hashlib.sha256(version_2.read_bytes()).hexdigest()
    assert _query(ctx.url, "select sha256 from audit.batches where batch_id = %s", (loaded.batch_id,)) == [(sha,)]
    before = _state(ctx.url)
    assert ingest_file(ctx, TENANCIES, version_2).status == "already_loaded"
    # an out-of-date copy arriving late does not undo the correction
    assert ingest_file(ctx, TENANCIES, version_1).status == "already_loaded"
    assert _state(ctx.url) == before


def test_append_sources_keep_every_period_and_replace_a_resent_one(ctx: IngestContext, tmp_path: Path) -> None:
    events = replace(TENANCIES, load="append")
    november = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows("B1")))
    december = ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows("B2", "B3")))
    current = {b for (b,) in _query(ctx.url, "select batch_id from audit.current_batches")}
    assert current == {november.batch_id, december.batch_id}
    resent = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows("B1", "B9")))
    assert resent.replaced == (november.batch_id,)
    current = {b for (b,) in _query(ctx.url, "select batch_id from audit.current_batches")}
    assert current == {resent.batch_id, december.batch_id}
    assert _query(ctx.url, "select count(*) from raw.housing_tenancies") == [(4,)]


def test_a_load_that_grows_its_table_by_a_tenth_refreshes_its_statistics(ctx: IngestContext, tmp_path: Path) -> None:
    # The dbt build after a load plans on these statistics; autovacuum would update them only at its next round.
    def planned_rows() -> float:
        with psycopg.connect(ctx.url) as conn:
            return conn.execute(
                "select reltuples from pg_class where oid = 'raw.housing_tenancies'::regclass"
            ).fetchone()[0]

    events = replace(TENANCIES, load="append")
    ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows(*(f"A{i}" for i in range(60)))))
    assert planned_rows() == 60  # a first load: no statistics before
    ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows(*(f"B{i}" for i in range(60)))))
    assert planned_rows() == 120
    ingest_file(ctx, events, _write(tmp_path, "2026-01", _rows(*(f"C{i}" for i in range(60)))))
    assert planned_rows() == 120  # 60 rows are not 50 and a tenth of 120: left to autovacuum


def test_a_snapshot_load_that_deletes_a_tenth_of_its_table_refreshes_its_statistics(ctx, tmp_path: Path) -> None:
    def planned_rows() -> float:
        with psycopg.connect(ctx.url) as conn:
            return conn.execute(
                "select reltuples from pg_class where oid = 'raw.housing_tenancies'::regclass"
            ).fetchone()[0]

    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows(*(f"A{i}" for i in range(600)))))
    assert planned_rows() == 600
    # 30 rows loaded would not qualify; the 600 of November deleted do (a history the steward said shrank)
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows(*(f"B{i}" for i in range(30)))), shrink_allowed=True)
    assert planned_rows() == 30


def test_a_contract_that_gained_a_column_loads_into_the_raw_table_made_before(ctx, tmp_path: Path) -> None:
    older = replace(TENANCIES, columns=tuple(c for c in TENANCIES.columns if c.name != "loyer_mensuel"))
    with psycopg.connect(ctx.url) as conn:
        conn.execute("drop table raw.housing_tenancies")
        conn.execute(raw_table_ddl(older))  # as the contract was when the warehouse was made
        conn.execute(
            "insert into raw.housing_tenancies (batch_id, source_row, record_ref, person_key) values (0, 1, 'r', 'p')"
        )
    loaded = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("A1")))
    assert loaded.status == "loaded" and loaded.rows_loaded == 1
    rents = "select batch_id, monthly_rent from raw.housing_tenancies order by 1"
    assert _query(ctx.url, rents) == [(0, None), (loaded.batch_id, Decimal("400.00"))]


def test_the_hospitals_discharge_mode_loads_into_a_raw_table_made_before_it_was_read(ctx, tmp_path: Path) -> None:
    """A death in a stay (mode de sortie: deces) is read into raw.health_encounters, which a warehouse made
    before the contract read it gains; rows loaded before keep it empty, a mode outside the list is quarantined."""
    health = CONTRACTS["health_encounters"]
    older = replace(health, columns=tuple(c for c in health.columns if c.name != "discharge_mode"))
    ensure_raw_tables(ctx.url, {"health_encounters": older})
    with psycopg.connect(ctx.url) as conn:
        conn.execute(
            "insert into raw.health_encounters (batch_id, source_row, record_ref, person_key) values (0, 1, 'r', 'p')"
        )
    path = tmp_path / "health" / "encounters_2025-12.csv"
    path.parent.mkdir(parents=True)
    rows = [
        ("H1", "Martin", "Paul", "1975-06-01", "", "M", "hospitalisation", "general", "2025-12-01", "2025-12-09"),
        ("H2", "Martin", "Paul", "1975-06-01", "", "M", "urgence", "general", "2025-12-10", "2025-12-10"),
        ("H3", "Martin", "Paul", "1975-06-01", "", "M", "hospitalisation", "general", "2025-12-11", "2025-12-20"),
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.name for c in health.columns])
        writer.writerows([*row, mode] for row, mode in zip(rows, ("domicile", "", "deces"), strict=True))
        writer.writerow(["H4", *rows[2][1:-2], "2025-12-21", "2025-12-22", "décédé"])  # not a PMSI mode
    loaded = ingest_file(ctx, health, path)
    assert loaded.status == "loaded" and (loaded.rows_loaded, loaded.rows_quarantined) == (3, 1)
    modes = "select batch_id, source_row, discharge_mode from raw.health_encounters order by 1, 2"
    assert _query(ctx.url, modes) == [
        (0, 1, None),
        *((loaded.batch_id, n, m) for n, m in ((1, "domicile"), (2, None), (3, "deces"))),
    ]


def _made_under(url: str, older) -> None:
    """raw.housing_tenancies as an older contract made it, with one row loaded under it."""
    with psycopg.connect(url) as conn:
        conn.execute("drop table raw.housing_tenancies")
        conn.execute(raw_table_ddl(older))
        conn.execute(
            "insert into raw.housing_tenancies (batch_id, source_row, record_ref, person_key, monthly_rent,"
            " start_date) values (0, 1, 'r', 'p', 400, '2021-02-03')"
        )


def _retyped(column: str, type_: str):
    columns = tuple(replace(c, type=type_) if c.name == column else c for c in TENANCIES.columns)
    return replace(TENANCIES, columns=columns)


def test_a_column_the_contract_widened_is_widened_in_the_raw_table_made_before(ctx, tmp_path: Path) -> None:
    _made_under(ctx.url, _retyped("loyer_mensuel", "integer"))  # rents were whole euros, cents now come
    loaded = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", ["A1;PA1;Lyon;03/02/2021;;;400,50"]))
    assert loaded.status == "loaded"
    rents = "select batch_id, monthly_rent from raw.housing_tenancies order by 1"
    assert _query(ctx.url, rents) == [(0, Decimal("400")), (loaded.batch_id, Decimal("400.50"))]


def test_a_column_the_contract_narrowed_is_refused_by_name_and_left_as_it_is(ctx, tmp_path: Path) -> None:
    _made_under(ctx.url, _retyped("date_debut", "text"))  # loaded as text: a value may be no date
    ensure_raw_tables(ctx.url, CONTRACTS)  # a run starts: the other sources' loads go on
    before = _state(ctx.url)
    with pytest.raises(RawTableOutOfStep) as refused:
        ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("A1")))
    assert _state(ctx.url) == before and not list(ctx.quarantine_dir.rglob("*.csv*"))
    assert str(refused.value).startswith(f"{TENANCIES.path}: column 'date_debut' is now date")
    assert "raw.housing_tenancies.start_date holds text values loaded before" in str(refused.value)
    # the statement to convert them names the type the raw table needs, not the contract's word for it
    assert "alter table raw.housing_tenancies alter column start_date type date using ..." in str(refused.value)
    types = "select data_type from information_schema.columns where table_name = %s and column_name = 'start_date'"
    assert _query(ctx.url, types, ("housing_tenancies",)) == [("text",)]
    assert _query(ctx.url, "select start_date from raw.housing_tenancies") == [("2021-02-03",)]


def _rent_as(target: str):
    """The tenancies contract with its rent stored under another raw name."""
    return replace(
        TENANCIES,
        columns=tuple(replace(c, target=target) if c.name == "loyer_mensuel" else c for c in TENANCIES.columns),
    )


def test_a_column_the_contract_renamed_is_refused_until_the_raw_table_follows(ctx, tmp_path: Path) -> None:
    """Loaded under the new name, every earlier rent would sit under the old one, never read again."""
    _made_under(ctx.url, TENANCIES)  # one row with a rent of 400 in monthly_rent
    renamed = _rent_as("rent")
    before = _state(ctx.url)
    with pytest.raises(RawTableOutOfStep) as refused:
        ingest_file(ctx, renamed, _write(tmp_path, "2025-12", _rows("A1")))
    assert "raw.housing_tenancies.monthly_rent holds values but the contract no longer names it" in str(refused.value)
    assert "alter table raw.housing_tenancies rename column monthly_rent to rent" in str(refused.value)
    assert _state(ctx.url) == before
    with psycopg.connect(ctx.url) as conn:  # the steward does what it says
        conn.execute("alter table raw.housing_tenancies rename column monthly_rent to rent")
    loaded = ingest_file(ctx, renamed, _write(tmp_path, "2025-12", _rows("A1")))
    rents = "select batch_id, rent from raw.housing_tenancies order by 1"
    assert _query(ctx.url, rents) == [(0, Decimal("400")), (loaded.batch_id, Decimal("400.00"))]


def test_a_column_the_partner_no_longer_sends_keeps_its_values_with_a_warning(ctx, tmp_path: Path, caplog) -> None:
    _made_under(ctx.url, TENANCIES)
    caplog.set_level(logging.WARNING, logger="pipelines.raw_tables")
    older = replace(TENANCIES, columns=tuple(c for c in TENANCIES.columns if c.name != "loyer_mensuel"))
    header = HEADER.rsplit(";", 1)[0]
    path = tmp_path / "tenancies_2025-12.csv"
    path.write_bytes(f"{header}\r\nA1;PA1;Lyon;03/02/2021;;\r\n".encode("latin-1"))
    loaded = ingest_file(ctx, older, path)
    rents = "select batch_id, monthly_rent from raw.housing_tenancies order by 1"
    assert _query(ctx.url, rents) == [(0, Decimal("400")), (loaded.batch_id, None)]
    assert any("keeps column(s) monthly_rent" in m for m in caplog.messages)


def test_a_column_converted_by_hand_to_a_narrower_integer_is_widened_back(ctx, tmp_path: Path) -> None:
    """A steward who narrowed a decimal column back with `type integer` (PostgreSQL's 4-byte integer) has done what
    the refusal asked: the contract's integer (bigint) holds every such value, nothing is refused."""
    _made_under(ctx.url, _retyped("loyer_mensuel", "integer"))
    with psycopg.connect(ctx.url) as conn:
        conn.execute("alter table raw.housing_tenancies alter column monthly_rent type integer")
    assert ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("A1"))).status == "loaded"
    types = "select data_type from information_schema.columns where table_name = %s and column_name = 'monthly_rent'"
    assert _query(ctx.url, types, ("housing_tenancies",)) == [("numeric",)]
    assert _query(ctx.url, "select monthly_rent from raw.housing_tenancies order by batch_id") == [
        (Decimal("400"),),
        (Decimal("400.00"),),
    ]


def test_a_load_as_large_as_its_table_builds_the_person_key_index_after_its_rows(ctx, tmp_path: Path, monkeypatch):
    monkeypatch.setattr("pipelines.ingest.BULK_ROWS", 2)
    deferred = []
    dropping = ingest.drop_person_index_ddl
    monkeypatch.setattr("pipelines.ingest.drop_person_index_ddl", lambda c: deferred.append(c.name) or dropping(c))
    months = {"2025-10": 60, "2025-11": 30, "2025-12": 100}  # the 2nd is smaller than the table, the 3rd is not
    for month, rows in months.items():
        ingest_file(ctx, TENANCIES, _write(tmp_path, month, _rows(*(f"{month}-{i}" for i in range(rows)))))
    assert deferred == ["housing_tenancies", "housing_tenancies"]
    index = "raw.housing_tenancies_person_key"
    assert _query(ctx.url, "select indisvalid from pg_index where indexrelid = %s::regclass", (index,)) == [(True,)]
    with psycopg.connect(ctx.url) as conn:
        conn.execute("set enable_seqscan = off")
        plan = conn.execute("explain select * from raw.housing_tenancies where person_key = 'x'").fetchall()
    assert "housing_tenancies_person_key" in str(plan)


def test_a_replacement_that_fails_leaves_the_earlier_batch_whole(ctx: IngestContext, tmp_path: Path, monkeypatch):
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2", bad="B3")))
    before = _state(ctx.url)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    quarantined = quarantine.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr("pipelines.ingest.record_rejections", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2", "B3", bad="B4")))
    assert _state(ctx.url) == before
    assert quarantine.read_bytes() == quarantined
    assert not list(ctx.quarantine_dir.rglob("*.partial"))


@pytest.mark.parametrize("load", ["snapshot", "append"])
def test_a_resent_month_with_no_valid_row_is_refused_and_the_month_stays(ctx: IngestContext, tmp_path: Path, load):
    # A partner changes its date format: every row of the re-send fails. Loading it would empty the month.
    contract = replace(TENANCIES, load=load)
    loaded = ingest_file(ctx, contract, _write(tmp_path, "2025-12", _rows("B1", "B2", bad="B3")))
    before = _state(ctx.url)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    to_fix = quarantine.read_bytes()
    reformatted = [row.replace("03/02/2021", "2021-02-03") for row in _rows("B1", "B2", "B3", "B4")]

    resent = ingest_file(ctx, contract, _write(tmp_path, "2025-12", reformatted))

    assert resent.status == "rejected"
    assert resent.message == (
        "tenancies_2025-12.csv: none of its 4 rows is valid (invalid_date in date_debut: 4); it would empty"
        f" period 2025-12, loaded from tenancies_2025-12.csv (batch {loaded.batch_id}), which stays as it was"
    )
    batches, *rows_and_keys = _state(ctx.url)
    assert batches == [*before[0], (resent.batch_id, "rejected", None, 0, None)]
    assert rows_and_keys == list(before[1:])
    # the loaded batch's rows to fix are the only copy of them: the rejection does not write over them
    assert quarantine.read_bytes() == to_fix
    # a file with a valid row still replaces the month (a partner may withdraw records)
    fewer = ingest_file(ctx, contract, _write(tmp_path, "2025-12", [*reformatted[:3], _rows("B4")[0]]))
    assert fewer.status == "loaded" and fewer.rows_loaded == 1 and fewer.replaced == (loaded.batch_id,)


def _assert_shrink_refused(ctx, refused, before: tuple, path: Path, message_start: str) -> None:
    """Refused as shrinking its period, saying so and how to force it (a command a shell reads back to the path);
    the ledger gains only the rejected line, raw and the link keys are as they were."""
    assert refused.status == "rejected"
    assert refused.message.startswith(message_start)
    (command,) = re.findall(r"`(abord ingest [^`]*)`", refused.message)
    assert shlex.split(command) == ["abord", "ingest", "--source", "housing_tenancies", "--replace-period", str(path)]
    batches, *rows_and_keys = _state(ctx.url)
    assert batches == [*before[0], (refused.batch_id, "rejected", None, 0, None)]
    assert rows_and_keys == list(before[1:])


def test_a_whole_month_resent_with_most_rows_invalid_is_refused_saying_why(ctx, tmp_path: Path) -> None:
    """The whole month again, but two rows in three with a date in another form: it was told to ask the partner
    for the whole month, or that the month really was that small, and the reasons were nowhere."""
    month = [f"B{i}" for i in range(120)]
    loaded = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows(*month)))
    rows = _rows(*month)
    reformatted = [line.replace("/2021", "-2021") if i % 3 else line for i, line in enumerate(rows)]

    refused = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", reformatted).rename(tmp_path / "t_2025-12.csv"))

    assert refused.status == "rejected" and loaded.rows_loaded == 120
    assert "by 40 (of 120 read, 80 quarantined). Period 2025-12 stays as it was. 80 of its rows are invalid" in (
        refused.message
    )
    assert "invalid_date in date_debut: 80" in refused.message and "then retry its quarantined rows" in refused.message


@pytest.mark.parametrize("load", ["snapshot", "append"])
def test_a_resent_month_keeping_under_half_its_rows_is_refused_and_the_month_stays(ctx, tmp_path: Path, load):
    # A partner sends a month's late rows alone under the month's name: loading them would replace the month.
    contract = replace(TENANCIES, load=load)
    month = [f"B{i}" for i in range(120)]
    loaded = ingest_file(ctx, contract, _write(tmp_path, "2025-12", _rows(*month, bad="X1")))
    before = _state(ctx.url)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    to_fix = quarantine.read_bytes()
    # from a folder whose name has spaces, as a steward's upload folder may: the command given must paste whole
    (tmp_path / "envoi d'avril").mkdir()
    late = _write(tmp_path, "2025-12", _rows("L1", "L2", "L3", "L4", bad="L5")).rename(
        tmp_path / "envoi d'avril" / "tenancies_tardif_2025-12.csv"
    )

    refused = ingest_file(ctx, contract, late)

    _assert_shrink_refused(
        ctx,
        refused,
        before,
        late,
        "tenancies_tardif_2025-12.csv: it would replace the 120 rows of period 2025-12 loaded from"
        f" tenancies_2025-12.csv (batch {loaded.batch_id}) by 4 (of 5 read, 1 quarantined). Period 2025-12 stays"
        " as it was. Under half, it looks like part of the month",
    )
    reasons = "select reason_code from audit.rejections where batch_id = %s"
    assert _query(ctx.url, reasons, (refused.batch_id,)) == [("shrinks_period",)]
    assert _balances(ctx.url) == []
    assert "shrinks_period" in quarantine_path(ctx.quarantine_dir, "housing_tenancies", late.name).read_text()
    # under the month's own name, the loaded batch's rows to fix are the only copy of them: they stay
    same_name = _write(tmp_path, "2025-12", _rows("L1", "L2", "L3"))
    assert ingest_file(ctx, contract, same_name).status == "rejected"
    assert quarantine.read_bytes() == to_fix
    assert _state(ctx.url)[1:] == before[1:]
    # the steward, told the month really is that small now, loads the very file refused
    assert ingest_file(ctx, contract, late).status == "already_rejected"
    forced = ingest_file(ctx, contract, late, shrink_allowed=True)
    assert (forced.status, forced.rows_loaded, forced.replaced) == ("loaded", 4, (loaded.batch_id,))
    assert _query(ctx.url, "select count(*) from raw.housing_tenancies") == [(4,)]
    assert _balances(ctx.url) == []
    assert ingest_file(ctx, contract, late, shrink_allowed=True).status == "already_loaded"


def test_replacing_the_period_reads_again_only_a_file_refused_for_shrinking_it(ctx, tmp_path: Path) -> None:
    """--replace-period read again any file rejected before: one missing a column was read again, and the ledger
    gained one more rejected line each time."""
    no_rent = tmp_path / "tenancies_2025-12.csv"
    no_rent.write_bytes(f"{HEADER.removesuffix(';loyer_mensuel')}\r\nB1;P1;Lyon;03/02/2021;;\r\n".encode("latin-1"))
    rejected = ingest_file(ctx, TENANCIES, no_rent)
    assert rejected.status == "rejected"
    before = _state(ctx.url)

    again = ingest_file(ctx, TENANCIES, no_rent, shrink_allowed=True)

    assert (again.status, again.batch_id) == ("already_rejected", rejected.batch_id)
    assert "rejected (missing_column) under this same contract" in again.message
    assert _state(ctx.url) == before


def test_a_resent_month_keeping_half_its_rows_or_a_small_month_replaces_it(ctx: IngestContext, tmp_path: Path):
    events = replace(TENANCIES, load="append")
    month = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows(*[f"B{i}" for i in range(100)])))
    short = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows(*[f"B{i}" for i in range(49)])))
    assert short.status == "rejected"
    half = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows(*[f"B{i}" for i in range(50)])))
    assert (half.status, half.replaced) == ("loaded", (month.batch_id,))
    small = ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows(*[f"C{i}" for i in range(99)])))
    fewer = ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows("C1")))
    assert (fewer.status, fewer.replaced) == ("loaded", (small.batch_id,))


def test_a_quarantine_writer_tells_the_line_each_row_is_read_and_dropped_at(tmp_path: Path) -> None:
    """A rejected row is taken out of a quarantine file by its line (a retry's line refused as not to fix shares
    its source row with another): a value holding line breaks (a note) moves the lines after it."""
    path = quarantine_path(tmp_path, "housing_tenancies", "tenancies_2025-12.csv")
    writer = QuarantineWriter(path, ["note"], "a" * 64)
    notes = {2: "one\nnote\r\non three lines", 3: "carriage\rreturn", 4: "plain"}
    written = [writer.add(Rejected(n, [Problem(None, "not_to_fix", "")], {"note": v})) for n, v in notes.items()]
    writer.close().replace(path)
    assert written == [line for line, *_ in numbered_rows(path)] == [4, 6, 7]
    drop_lines(path, {6})
    assert [(number, row["note"]) for _, number, row in numbered_rows(path)] == [(2, notes[2]), (4, "plain")]


def test_a_quarantine_file_read_once_for_its_retry_is_held_as_its_bytes_not_its_rows(tmp_path: Path) -> None:
    """A retry reads its file once (quarantine.snapshot), and held every row of it parsed, about ten times the
    file's bytes where it had streamed them: a month of a large source quarantined whole (its date format changed,
    loaded with --replace-period and retried, as that refusal says) could run the retry out of memory. Its bytes
    are held, checked, and parsed again as the retry reads them."""
    path = quarantine_path(tmp_path, "housing_tenancies", "tenancies_2025-12.csv")
    columns = [c.name for c in load_contracts()["housing_tenancies"].columns]
    problem = [Problem("date_debut", "invalid_date", "'31/02/2021' is not a date in the form %d/%m/%Y")]
    rows = (Rejected(n, problem, {c: f"{c} {n}" for c in columns}) for n in range(2, 20_002))
    write_quarantine(path, rows, columns, "a" * 64).replace(path)

    tracemalloc.start()
    try:
        read = snapshot(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 1.5 * path.stat().st_size
    assert [(number, row["id_bail"]) for _, number, row in read.rows()][-1] == (20_001, "id_bail 20001")


def _quarantine_in_another_process(path: Path) -> None:
    rejected = [Rejected(9, [Problem("site", "required", "site is empty")], None)]
    write_quarantine(path, rejected, [], "b" * 64).replace(path)


def test_two_processes_quarantining_one_file_keep_their_own_partial_files(tmp_path: Path) -> None:
    # Two ingestions of one landing folder (two warehouses, or a retry racing the sensor) each settle their file.
    path = quarantine_path(tmp_path, "housing_tenancies", "tenancies_2025-12.csv")
    ours = QuarantineWriter(path, [], "a" * 64)
    ours.add(Rejected(7, [Problem("date_debut", "date", "not a date")], None))
    other = multiprocessing.get_context("fork").Process(target=_quarantine_in_another_process, args=(path,))
    other.start()
    other.join()
    assert other.exitcode == 0
    ours.close().replace(path)
    assert [number for _, number, _ in numbered_rows(path)] == [7]


def test_a_load_removes_the_partial_quarantine_files_a_killed_load_of_its_source_left(ctx, tmp_path: Path, caplog):
    """A load killed before its commit leaves its partial file: garbage that may hold identifiers (an opposed
    person's too). A live process's is its own; one named before names held its batch's sha256 cannot be told."""
    rejected = tmp_path / "tenancies_2025-08.csv"
    rejected.write_bytes(b"")
    assert ingest_file(ctx, TENANCIES, rejected).status == "rejected"
    gone = gone_pid()

    def partial(file_name: str, sha: str, writer: str) -> Path:
        quarantine = QuarantineWriter(quarantine_path(ctx.quarantine_dir, "housing_tenancies", file_name), [], sha)
        quarantine.add(Rejected(2, [Problem("site", "required", "site is empty")], {"nom": "Opposed"}))
        return as_if_written_by(quarantine.close(), writer)

    killed = partial("tenancies_2025-12.csv", "c" * 64, f"{gone}-{started()}")
    killed_before = partial("tenancies_2025-07.csv", "c" * 64, str(gone))  # named by an older abord
    running = partial("tenancies_2025-09.csv", "d" * 64, writer_tag())  # another batch, loading meanwhile
    running_before = partial("tenancies_2025-06.csv", "d" * 64, str(os.getpid()))
    unnamed = partial("tenancies_2025-10.csv", "e" * 64, str(gone))
    unnamed = unnamed.rename(unnamed.with_name(unnamed.name.replace(f".{'e' * 64}.", ".")))
    # a file once rejected whole, read again (a contract changed) by a load killed: no committed rows of its own
    reread = partial("tenancies_2025-08.csv", ledger.sha256_of(rejected), gone)
    elsewhere = quarantine_path(ctx.quarantine_dir, "health_encounters", "x.csv").with_name(killed.name)
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_bytes(killed.read_bytes())  # another source's: its own loads see to it

    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("B1")))

    assert not killed.exists() and not killed_before.exists() and not reread.exists()
    assert running.exists() and running_before.exists() and unnamed.exists() and elsewhere.exists()
    assert f"housing_tenancies/{unnamed.name}: may be the only copy" in caplog.text


def test_a_fixed_quarantine_file_joins_its_batch(ctx: IngestContext, tmp_path: Path) -> None:
    first = ingest_file(
        ctx, TENANCIES, _write(tmp_path, "2025-12", [*_rows("B1", bad="B2"), "B3;P3;Lyon;01/01/2024;;vacances;1,0"])
    )
    assert first.rows_quarantined == 2
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    with quarantine.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(line["source_row"], line["reason_code"]) for line in lines] == [
        ("2", "invalid_date"),
        ("3", "not_allowed"),
    ]
    lines[0]["date_debut"] = "28/02/2021"  # the steward fixes one row, not the other
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)

    retried = retry_quarantine(ctx, quarantine)

    assert (retried.status, retried.rows_read, retried.rows_loaded, retried.rows_quarantined) == ("loaded", 2, 1, 1)
    assert _query(ctx.url, "select retry_of, period from audit.batches where batch_id = %s", (retried.batch_id,)) == [
        (first.batch_id, "2025-12")
    ]
    assert _query(ctx.url, "select source_row from raw.housing_tenancies where batch_id = %s", (retried.batch_id,)) == [
        (2,)
    ]
    current = {b for (b,) in _query(ctx.url, "select batch_id from audit.current_batches")}
    assert current == {first.batch_id, retried.batch_id}
    with quarantine.open(encoding="utf-8", newline="") as handle:
        assert [line["source_row"] for line in csv.DictReader(handle)] == ["3"]

    # a fixed row whose id is already loaded is a duplicate, not a second record
    with quarantine.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    lines[0].update(id_bail="B1", motif_sortie="")
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)
    again = retry_quarantine(ctx, quarantine)
    assert (again.rows_loaded, again.rows_quarantined) == (0, 1)
    with quarantine.open(encoding="utf-8", newline="") as handle:
        assert [line["message"] for line in csv.DictReader(handle)] == [
            "'B1' appears twice (already loaded in this period)"
        ]


def test_a_row_with_a_separator_too_many_is_quarantined_with_its_fields_and_can_be_fixed(ctx, tmp_path: Path) -> None:
    # A site name with the separator in it, unquoted: one field too many. The row keeps what the partner sent.
    first = ingest_file(
        ctx, TENANCIES, _write(tmp_path, "2025-12", [*_rows("B1"), "B2;P2;Lyon;Part-Dieu;03/02/2021;;;400,00"])
    )
    assert (first.rows_loaded, first.rows_quarantined) == (1, 1)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    with quarantine.open(encoding="utf-8", newline="") as handle:
        (line,) = list(csv.DictReader(handle))
    assert line["reason_code"] == "field_count"
    assert (line["id_bail"], line["site"], line["date_debut"], line["loyer_mensuel"]) == (
        "B2",
        "Lyon",
        "Part-Dieu",
        ";400,00",
    )
    line.update(site="Lyon;Part-Dieu", date_debut="03/02/2021", date_fin="", motif_sortie="", loyer_mensuel="400,00")
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(line))
        writer.writeheader()
        writer.writerow(line)

    retried = retry_quarantine(ctx, quarantine)

    assert (retried.rows_loaded, retried.rows_quarantined) == (1, 0)
    assert _query(ctx.url, "select site from raw.housing_tenancies where batch_id = %s", (retried.batch_id,)) == [
        ("Lyon;Part-Dieu",)
    ]


def test_retry_refuses_what_it_cannot_do(ctx: IngestContext, tmp_path: Path) -> None:
    path = tmp_path / "tenancies_2025-12.csv"
    path.write_bytes(b"")
    ingest_file(ctx, TENANCIES, path)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", path.name)
    with pytest.raises(RetryRefused, match="rejected as a whole .*abord ingest --source housing_tenancies"):
        retry_quarantine(ctx, quarantine)
    with pytest.raises(RetryRefused, match="not a quarantine file"):
        retry_quarantine(ctx, tmp_path / "elsewhere.rejected.csv")


def test_a_rejected_re_send_leaves_the_loaded_batch_s_rows_to_fix_retriable(ctx, tmp_path: Path) -> None:
    # The month loads with one row to fix; its re-send under the same name is unreadable and rejected as a whole.
    # The quarantine file still holds the loaded batch's row, and retrying it joins that batch.
    first = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", bad="B2")))
    assert first.rows_quarantined == 1
    path = tmp_path / "tenancies_2025-12.csv"
    path.write_bytes(b"")
    assert ingest_file(ctx, TENANCIES, path).status == "rejected"
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", path.name)
    _fix_first_row(quarantine, date_debut="28/02/2021")

    retried = retry_quarantine(ctx, quarantine)

    assert (retried.rows_loaded, retried.rows_quarantined) == (1, 0)
    assert _query(ctx.url, "select retry_of from audit.batches where batch_id = %s", (retried.batch_id,)) == [
        (first.batch_id,)
    ]


def test_a_retry_of_a_month_to_come_is_rejected_as_its_file_would_be(make_ingest_context, tmp_path: Path) -> None:
    # A month to come loaded under a clock ahead (or before such files were refused) has a row to fix: retried, it
    # would add to that period as the file would have, so it is rejected whole, its row kept to fix.
    ahead = make_ingest_context(lambda: None, date(2052, 1, 15))
    first = ingest_file(ahead, TENANCIES, _write(tmp_path, "2052-01", _rows("B1", bad="B2")))
    quarantine = quarantine_path(ahead.quarantine_dir, "housing_tenancies", "tenancies_2052-01.csv")
    _fix_first_row(quarantine, date_debut="28/02/2021")

    retried = retry_quarantine(make_ingest_context(lambda: None, date(2026, 1, 15)), quarantine)

    assert retried.status == "rejected"
    assert "the period in the file name, 2052-01, is after the current month, 2026-01" in retried.message
    assert _query(ahead.url, "select count(*) from raw.housing_tenancies") == [(first.rows_loaded,)]
    assert _balances(ahead.url) == []
    with quarantine.open(encoding="utf-8", newline="") as handle:
        assert [line["date_debut"] for line in csv.DictReader(handle)] == ["28/02/2021"]

    # once its month has come, the same fixed file joins its batch
    come = retry_quarantine(make_ingest_context(lambda: None, date(2052, 1, 1)), quarantine)
    assert (come.status, come.rows_loaded, come.rows_quarantined) == ("loaded", 1, 0)
    assert _balances(ahead.url) == []


def test_a_month_sent_before_it_came_loads_under_its_name_once_it_has(make_ingest_context, tmp_path: Path) -> None:
    """December's file sent on 30 November is rejected as a month to come; on 1 December the same file, under the
    same name, was still already_rejected (the ledger remembered its bytes and name), for the steward to rename."""
    path = _write(tmp_path, "2025-12", _rows("B1", bad="B2"))
    november = make_ingest_context(lambda: None, date(2025, 11, 30))
    early = ingest_file(november, TENANCIES, path)
    assert early.status == "rejected"
    assert "2025-12, is after the current month, 2025-11" in early.message
    assert ingest_file(november, TENANCIES, path).status == "already_rejected"

    december = make_ingest_context(lambda: None, date(2025, 12, 1))
    loaded = ingest_file(december, TENANCIES, path)

    assert (loaded.status, loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == ("loaded", 2, 1, 1)
    assert ingest_file(december, TENANCIES, path).status == "already_loaded"
    assert _query(
        november.url, "select batch_id, status, period, rows_read, rows_loaded, rows_quarantined from audit.batches"
    ) == [(early.batch_id, "rejected", "2025-12", 0, 0, 0), (loaded.batch_id, "loaded", "2025-12", 2, 1, 1)]
    assert _query(november.url, "select reason_code from audit.rejections where batch_id = %s", (early.batch_id,)) == [
        ("future_period",)
    ]
    assert _balances(november.url) == []
    quarantine = quarantine_path(december.quarantine_dir, "housing_tenancies", path.name)
    with quarantine.open(encoding="utf-8", newline="") as handle:
        assert [line["id_bail"] for line in csv.DictReader(handle)] == ["B2"], "the rejection's message gone"


def _fix_first_row(quarantine: Path, **values: str) -> None:
    """The steward fixes the first rejected row of a quarantine file, not the others."""
    with quarantine.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.DictReader(handle))
    lines[0].update(values)
    with quarantine.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(lines[0]))
        writer.writeheader()
        writer.writerows(lines)


def _balances(url: str) -> list[tuple]:
    """Batches whose counts do not add up, or whose raw rows are not what they loaded (outdated ones aside)."""
    return _query(
        url,
        "select b.batch_id from audit.batches as b where b.rows_read <> b.rows_loaded + b.rows_quarantined"
        " or (b.status = 'loaded' and b.outdated_by is null and b.rows_loaded - b.rows_erased"
        " <> (select count(*) from raw.housing_tenancies as r where r.batch_id = b.batch_id))",
    )


def test_a_later_period_deletes_the_earlier_periods_raw_rows_and_keeps_their_audit(ctx, tmp_path: Path) -> None:
    november_file = _write(tmp_path, "2025-11", [*_rows("A1", "A2", bad="A3"), *_rows(bad="A4")[-1:]])
    november = ingest_file(ctx, TENANCIES, november_file)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", november_file.name)
    _fix_first_row(quarantine, date_debut="28/02/2021")
    retried = retry_quarantine(ctx, quarantine)  # A3 joins November; A4 still to fix
    assert (retried.rows_loaded, retried.rows_quarantined) == (1, 1)
    per_batch = dict(_query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by batch_id"))
    assert per_batch == {november.batch_id: 2, retried.batch_id: 1}, "a fixed row is current with its period"
    to_fix = quarantine.read_bytes()

    december = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1")))

    assert december.outdated == (november.batch_id, retried.batch_id)
    assert "outdates batch" in december.line()
    assert _query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by 1") == [
        (december.batch_id, 1)
    ]
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(december.batch_id,)]
    assert _query(
        ctx.url,
        "select batch_id, status, outdated_by, rows_read, rows_loaded, rows_quarantined from audit.batches order by 1",
    ) == [
        (november.batch_id, "loaded", december.batch_id, 4, 2, 2),
        (retried.batch_id, "loaded", december.batch_id, 2, 1, 1),
        (december.batch_id, "loaded", None, 1, 1, 0),
    ]
    assert _query(ctx.url, "select batch_id, source_row from audit.rejections order by 1, 2") == [
        (november.batch_id, 3),
        (november.batch_id, 4),
        (retried.batch_id, 4),
    ]
    assert _balances(ctx.url) == []
    assert not quarantine.exists(), "rows to fix of a period no longer current are not kept"

    # the same November file again is still recognised, and says what became of it
    again = ingest_file(ctx, TENANCIES, november_file)
    assert (again.status, again.batch_id) == ("already_loaded", november.batch_id)
    assert again.message == (
        f"the same bytes as batch {november.batch_id} (tenancies_2025-11.csv, since outdated by batch"
        f" {december.batch_id} of a later period)"
    )
    # a steward's copy of the rows to fix cannot bring stale rows back
    quarantine.write_bytes(to_fix)
    with pytest.raises(RetryRefused) as refused:
        retry_quarantine(ctx, quarantine)
    assert str(refused.value) == (
        f"batch {november.batch_id} of tenancies_2025-11.csv (period 2025-11) was outdated by batch"
        f" {december.batch_id} (tenancies_2025-12.csv) of period 2025-12: its rows are no longer current,"
        " nothing to retry"
    )
    assert _query(ctx.url, "select count(*) from raw.housing_tenancies") == [(1,)]


def test_a_late_resend_of_an_earlier_period_keeps_the_current_rows(ctx: IngestContext, tmp_path: Path) -> None:
    november = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))
    december = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2", "B3")))
    current_rows = _query(ctx.url, "select batch_id, source_row, record_ref from raw.housing_tenancies order by 1, 2")
    (tmp_path / "late").mkdir()

    late = ingest_file(ctx, TENANCIES, _write(tmp_path / "late", "2025-11", _rows("A1", "A2", "A9", bad="A8")))

    assert (late.status, late.rows_read, late.rows_loaded, late.rows_quarantined) == ("loaded", 4, 3, 1)
    assert late.replaced == (november.batch_id,) and late.outdated == ()
    assert late.message == (
        f"period 2025-11 is older than the current one (batch {december.batch_id}): outdated at once, its rows"
        " counted, not kept"
    )
    assert _query(ctx.url, "select batch_id, source_row, record_ref from raw.housing_tenancies order by 1, 2") == (
        current_rows
    )
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(december.batch_id,)]
    assert _query(
        ctx.url, "select batch_id, status, replaced_by, outdated_by from audit.batches order by batch_id"
    ) == [
        (november.batch_id, "replaced", late.batch_id, december.batch_id),
        (december.batch_id, "loaded", None, None),
        (late.batch_id, "loaded", None, december.batch_id),
    ]
    assert _balances(ctx.url) == []
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-11.csv")
    assert not quarantine.exists(), "its rows to fix are no longer current"
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    quarantine.write_text("source_row,column,reason_code,message\n", encoding="utf-8")
    with pytest.raises(RetryRefused, match=f"outdated by batch {december.batch_id} \\(tenancies_2025-12.csv\\)"):
        retry_quarantine(ctx, quarantine)


def test_a_later_period_that_fails_to_load_leaves_the_earlier_rows(ctx, tmp_path: Path, monkeypatch) -> None:
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2", bad="A3")))
    before = _state(ctx.url)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-11.csv")
    quarantined = quarantine.read_bytes()

    def broken(*args, **kwargs):  # after the earlier period's rows were deleted, in the same transaction
        raise RuntimeError("connection lost")

    monkeypatch.setattr("pipelines.ingest.record_rejections", broken)
    with pytest.raises(RuntimeError, match="connection lost"):
        ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1", "B2")))
    assert _state(ctx.url) == before
    assert quarantine.read_bytes() == quarantined
    assert not list(ctx.quarantine_dir.rglob("*.partial"))


def _lock_free_during(url: str, monkeypatch, module, name: str) -> list[bool]:
    """Whether another session could take the writers' lock, at each call of ``module.name``."""
    step, free = getattr(module, name), []

    def watched(*args) -> None:
        with psycopg.connect(url) as other:
            free.append(other.execute("select pg_try_advisory_xact_lock(%s)", (WRITER_LOCK,)).fetchone()[0])
        step(*args)

    monkeypatch.setattr(module, name, watched)
    return free


def test_a_batch_renames_its_quarantine_file_into_place_before_another_writer_starts(
    ctx, tmp_path: Path, monkeypatch
) -> None:
    """A rights request purging quarantine files between a batch's commit and its rename would miss the rows it
    matched against the older opposition list: the lock is held past the commit until the file is in place."""
    free = _lock_free_during(ctx.url, monkeypatch, ingest, "_settle_quarantine")
    batch = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", bad="A2")))
    assert (batch.rows_loaded, batch.rows_quarantined, free) == (1, 1, [False])
    assert quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-11.csv").exists()
    with psycopg.connect(ctx.url) as other:  # and released once it is
        assert other.execute("select pg_try_advisory_xact_lock(%s)", (WRITER_LOCK,)).fetchone() == (True,)
    assert not list(ctx.quarantine_dir.rglob("*.partial"))


@pytest.mark.parametrize("batch", ["original", "retry"])
def test_a_quarantine_file_that_failed_to_take_its_place_is_put_there_by_the_next_load(
    ctx, tmp_path: Path, monkeypatch, batch: str
) -> None:
    """Once the batch has committed, its partial quarantine file is the only copy of the rejected rows: kept, and
    put in place by the next load of the source, under the writers' lock (the purge reads files in place)."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    if batch == "retry":  # the file it retries stays where it is, spent: its fixed row A2 is loaded
        ingest_file(ctx, TENANCIES, extract)
        _fix_first_row(quarantine, date_debut="28/02/2021")
        load = functools.partial(retry_quarantine, ctx, quarantine)
    else:
        load = functools.partial(ingest_file, ctx, TENANCIES, extract)
    kept = rename_failing(ctx.quarantine_dir, monkeypatch, load)
    assert "A3" in kept.read_text(encoding="utf-8")
    rows = kept.read_bytes()
    kept = as_if_its_writer_exited(kept)
    free = _lock_free_during(ctx.url, monkeypatch, quarantine_leftovers, "_settle_partial")
    assert ingest_file(ctx, TENANCIES, extract).status == "already_loaded"  # the next run reads landing again

    assert not kept.exists() and quarantine.read_bytes() == rows and free == [False]


def test_a_partial_quarantine_file_whose_writers_process_id_names_another_process_now_is_put_in_place(
    ctx, tmp_path: Path, monkeypatch
) -> None:
    """Its rename failed, then the host rebooted (or process ids wrapped): its writer's id names another process,
    live. Taken for its writer, the file waited for it for ever and its rows to fix stayed out of place."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    kept = rename_failing(ctx.quarantine_dir, monkeypatch, functools.partial(ingest_file, ctx, TENANCIES, extract))
    rows = kept.read_bytes()
    with subprocess.Popen(["sleep", "60"]) as other:
        try:
            kept = as_if_written_by(kept, f"{other.pid}-{started()}")  # this process started before it did
            assert ingest_file(ctx, TENANCIES, extract).status == "already_loaded"
        finally:
            other.kill()

    assert not kept.exists() and quarantine.read_bytes() == rows


@pytest.mark.parametrize("later", ["re-send", "retry"])
def test_a_partial_quarantine_file_a_later_batch_took_the_place_of_goes_and_never_over_its_file(
    ctx, tmp_path: Path, monkeypatch, later: str
) -> None:
    """Its rename failed, a later batch settled the same name meanwhile (its writer still alive then): a re-send of
    the file replacing its batch, or the retry of its rows the steward copied into place. That batch's file holds
    the rows to fix; the partial one's are no longer current (replaced) or were read again (retried)."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    kept = rename_failing(ctx.quarantine_dir, monkeypatch, functools.partial(ingest_file, ctx, TENANCIES, extract))
    if later == "retry":  # as the warning said to, until now
        shutil.copyfile(kept, quarantine)
        _fix_first_row(quarantine, date_debut="28/02/2021")
        assert retry_quarantine(ctx, quarantine).rows_loaded == 1
    else:
        assert ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2", bad="A4"))).replaced
    later_rows = quarantine.read_bytes()
    kept = as_if_its_writer_exited(kept)

    ingest_file(ctx, TENANCIES, extract)

    assert not kept.exists() and quarantine.read_bytes() == later_rows


def test_a_killed_concurrent_loads_partial_copy_never_goes_over_the_committed_file(ctx, tmp_path: Path) -> None:
    """Two loads of one file: the one killed before its commit left a partial file under the same sha256, cut
    short. The file in place holds every rejected row of the batch that committed; the copy goes."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    ingest_file(ctx, TENANCIES, extract)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    rows = quarantine.read_bytes()
    cut = quarantine.with_name(f"{quarantine.name}.{ledger.sha256_of(extract)}.{gone_pid()}.partial")
    cut.write_bytes(b"".join(rows.splitlines(keepends=True)[:2]))  # killed after its first rejected row

    assert ingest_file(ctx, TENANCIES, extract).status == "already_loaded"

    assert not cut.exists() and quarantine.read_bytes() == rows


def test_a_retry_of_a_leftovers_rows_the_steward_fixed_reads_the_fixes(ctx, tmp_path: Path, monkeypatch) -> None:
    """The steward copied a partial file left behind into place, as its warning said, and fixed a row: the retry's
    own settling never puts the partial file back over the fixes."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    kept = rename_failing(ctx.quarantine_dir, monkeypatch, functools.partial(ingest_file, ctx, TENANCIES, extract))
    kept = as_if_its_writer_exited(kept)
    shutil.copyfile(kept, quarantine)
    _fix_first_row(quarantine, date_debut="28/02/2021")

    assert retry_quarantine(ctx, quarantine).rows_loaded == 1
    assert [line["id_bail"] for *_, line in numbered_rows(quarantine)] == ["A3"]
    ingest_file(ctx, TENANCIES, extract)  # the retry holds the place now: the partial file goes
    assert list(quarantine.parent.iterdir()) == [quarantine]
    assert _balances(ctx.url) == []


def _rewrite_killed(path: Path) -> None:
    """``drop_lines`` killed between writing the new file and renaming it over the old one."""
    os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
    drop_lines(path, {2})  # source row 2 (line 1 is the header)


@pytest.mark.parametrize("next_step", ["load", "purge"])
def test_a_rewrite_of_a_quarantine_file_killed_midway_leaves_no_copy_past_the_next_load_or_purge(
    ctx, tmp_path: Path, next_step: str
) -> None:
    """Its temporary file holds the rows of the file it rewrites, identifiers too: gone at the next load of the
    source or the next purge, both under the writers' lock; one whose writer is alive is its own."""
    extract = _write(tmp_path, "2025-11", [*_rows("A1", bad="A2"), *_rows(bad="A3")])
    ingest_file(ctx, TENANCIES, extract)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", extract.name)
    rows = quarantine.read_bytes()
    killed = multiprocessing.get_context("fork").Process(target=_rewrite_killed, args=(quarantine,))
    killed.start()
    killed.join()
    assert killed.exitcode == -signal.SIGKILL
    (left,) = quarantine.parent.glob(".*")
    assert "A3" in left.read_text(encoding="utf-8")
    live = quarantine.with_name(f".{quarantine.name}.inflight.{os.getpid()}.tmp")  # a rewrite in progress
    shutil.copyfile(left, live)

    if next_step == "load":
        ingest_file(ctx, TENANCIES, extract)
    else:
        with psycopg.connect(ctx.url) as conn, conn.cursor() as cur:
            purge_opposed(cur, ctx.key, ctx.contracts, ctx.quarantine_dir, ctx.today)

    assert sorted(quarantine.parent.iterdir()) == sorted([quarantine, live])
    assert quarantine.read_bytes() == rows


def test_a_load_during_a_dbt_build_waits_for_it_before_deleting_rows_the_build_reads(ctx, tmp_path: Path, caplog):
    november = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))
    november_rows = f"select count(*) from raw.housing_tenancies where batch_id = {november.batch_id}"
    caplog.set_level(logging.INFO, logger="pipelines.writer_lock")
    with ThreadPoolExecutor(1) as pool:
        with held_for_a_build(ctx.url):
            december = pool.submit(ingest_file, ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1")))
            _until_waiting_on_a_lock(ctx.url, december)
            assert _query(ctx.url, november_rows) == [(2,)]
        assert december.result(timeout=120).outdated == (november.batch_id,)
    assert _query(ctx.url, november_rows) == [(0,)]
    assert "waiting for a dbt build or another load to finish" in caplog.messages


def test_a_load_waiting_for_a_build_holds_no_lock_a_model_needs(ctx: IngestContext) -> None:
    """The ledger's DDL (an ALTER of audit.batches, the view over it) waits for the build too: run before it, while
    one model held the ledger and the next read the view, PostgreSQL found a deadlock and killed the model."""
    with ThreadPoolExecutor(1) as pool, held_for_a_build(ctx.url):
        with psycopg.connect(ctx.url) as model:
            model.execute("select count(*) from audit.batches")  # a model mid-transaction
            starting = pool.submit(ctx.ensure_schema)  # what a load does first
            _until_waiting_on_a_lock(ctx.url, starting)
            with psycopg.connect(ctx.url) as next_model:
                next_model.execute("set lock_timeout = '10s'")
                next_model.execute("select count(*) from audit.current_batches")  # compiling latest_batch_rows
    starting.result(timeout=120)


def _until_waiting_on_a_lock(url: str, load: Future) -> None:
    waiting = "select count(*) from pg_stat_activity where wait_event = 'advisory' and datname = current_database()"
    deadline = time.monotonic() + 120
    while _query(url, waiting) != [(1,)]:
        assert not load.done(), f"the load did not wait for the build: {load.result()}"
        assert time.monotonic() < deadline, "the load neither waited nor finished"
        time.sleep(0.05)


def test_a_load_under_a_key_the_store_was_not_made_with_writes_nothing(ctx, tmp_path: Path) -> None:
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))
    before = _state(ctx.url)
    rotated_meanwhile = replace(ctx, key=bytes(range(1, 33)))  # as if `abord key rotate` committed during the load
    with pytest.raises(KeyFileError, match="not the key the warehouse's identities were made with"):
        ingest_file(rotated_meanwhile, TENANCIES, _write(tmp_path, "2025-12", _rows("B1")))
    assert _state(ctx.url) == before


def test_an_upgraded_store_records_its_key_only_from_a_load_that_finds_its_persons(ctx, tmp_path: Path) -> None:
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))
    with psycopg.connect(ctx.url) as conn:
        conn.execute("delete from identity.key_check")  # identities stored before the store kept a check
    before = _state(ctx.url)
    wrong = replace(ctx, key=bytes(range(1, 33)))
    with pytest.raises(KeyFileError, match="none of this extract's 2 persons is among those it already holds"):
        ingest_file(wrong, TENANCIES, _write(tmp_path, "2025-12", _rows("A1", "A3")))  # A1 unknown under it
    assert _state(ctx.url) == before and _query(ctx.url, "select count(*) from identity.key_check") == [(0,)]
    december = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("A1", "B1")))  # A1 known: adopted
    assert december.status == "loaded" and december.persons_new == 1
    with pytest.raises(KeyFileError, match="not the key the warehouse's identities were made with"):
        ingest_file(wrong, TENANCIES, _write(tmp_path, "2026-01", _rows("C1")))


def test_a_next_period_with_no_valid_row_is_refused_and_the_current_one_stays(ctx, tmp_path: Path) -> None:
    loaded = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))
    before = _state(ctx.url)
    reformatted = [row.replace("03/02/2021", "2021-02-03") for row in _rows("B1", "B2")]

    next_month = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", reformatted))

    assert next_month.status == "rejected"
    assert next_month.message == (
        "tenancies_2025-12.csv: none of its 2 rows is valid (invalid_date in date_debut: 2); it would empty"
        f" housing_tenancies's current period 2025-11, loaded from tenancies_2025-11.csv (batch {loaded.batch_id}),"
        " which stays as it was"
    )
    batches, *rows_and_keys = _state(ctx.url)
    assert batches == [*before[0], (next_month.batch_id, "rejected", None, 0, None)]
    assert rows_and_keys == list(before[1:])
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(loaded.batch_id,)]


def test_a_later_month_quarantined_whole_waits_for_its_retry_and_the_month_before_stays_current(ctx, tmp_path):
    """December came first with every row invalid (a changed date format), then November, late: the empty December
    was the current snapshot and November's rows were outdated as they loaded, leaving the source with no row.
    November is current until the steward retries December's fixed rows; then December is, and November's rows go."""
    december = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", [*_rows(bad="B1"), *_rows(bad="B2")]))
    assert (december.status, december.rows_loaded, december.rows_quarantined) == ("loaded", 0, 2)
    (tmp_path / "late").mkdir()

    november = ingest_file(ctx, TENANCIES, _write(tmp_path / "late", "2025-11", _rows("A1", "A2")))

    assert (november.status, november.message, november.outdated) == ("loaded", "", ())
    assert _query(ctx.url, "select batch_id from audit.observing_batches") == [(november.batch_id,)]
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(november.batch_id,)]
    assert _query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by 1") == [
        (november.batch_id, 2)
    ]
    # December is not outdated: its rows to fix wait for their retry
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    _fix_first_row(quarantine, date_debut="28/02/2021")
    retried = retry_quarantine(ctx, quarantine)
    assert (retried.rows_loaded, retried.rows_quarantined, retried.outdated) == (1, 1, (november.batch_id,))
    current = _query(ctx.url, "select batch_id from audit.current_batches order by 1")
    assert current == [(december.batch_id,), (retried.batch_id,)]
    assert _query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by 1") == [(retried.batch_id, 1)]
    assert _query(ctx.url, "select outdated_by from audit.batches where batch_id = %s", (november.batch_id,)) == [
        (december.batch_id,)
    ]
    assert _balances(ctx.url) == []


def test_an_append_source_s_month_quarantined_whole_stays_current_observing_nothing(ctx, tmp_path: Path) -> None:
    events = replace(TENANCIES, load="append")
    november = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows("A1")))
    december = ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows(bad="B1")))
    assert (december.status, december.rows_loaded, december.outdated) == ("loaded", 0, ())
    current = [(november.batch_id,), (december.batch_id,)]
    assert _query(ctx.url, "select batch_id from audit.current_batches order by 1") == current
    assert _query(ctx.url, "select batch_id from audit.observing_batches") == [(november.batch_id,)]


def test_a_next_snapshot_keeping_under_half_the_current_one_is_refused_and_the_current_one_stays(ctx, tmp_path):
    # A snapshot holds the partner's whole history: a filtered export of the next month would outdate it all.
    rows = [*_rows(*[f"A{i}" for i in range(100)], bad="A100"), *_rows(bad="A101")[-1:]]
    november_file = _write(tmp_path, "2025-11", rows)
    november = ingest_file(ctx, TENANCIES, november_file)
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", november_file.name)
    _fix_first_row(quarantine, date_debut="28/02/2021")
    retried = retry_quarantine(ctx, quarantine)  # its fixed row is current with November's 100: 101 rows
    before, to_fix = _state(ctx.url), quarantine.read_bytes()
    partial = _write(tmp_path, "2025-12", _rows(*[f"A{i}" for i in range(50)], bad="A50"))

    refused = ingest_file(ctx, TENANCIES, partial)

    _assert_shrink_refused(
        ctx,
        refused,
        before,
        partial,
        "tenancies_2025-12.csv: it would replace the 101 rows of period 2025-11 loaded from tenancies_2025-11.csv"
        f" (batch {november.batch_id}), {retried.file_name} (batch {retried.batch_id}) by 50 of period 2025-12"
        " (of 51 read, 1 quarantined). Period 2025-11 stays as it was. Under half",
    )
    assert quarantine.read_bytes() == to_fix, "the current period's rows to fix stay"
    forced = ingest_file(ctx, TENANCIES, partial, shrink_allowed=True)
    assert (forced.status, forced.outdated) == ("loaded", (november.batch_id, retried.batch_id))
    assert _query(ctx.url, "select count(*) from raw.housing_tenancies") == [(50,)]
    assert _balances(ctx.url) == []


def test_a_next_snapshot_keeping_half_or_a_late_smaller_month_is_loaded(ctx: IngestContext, tmp_path: Path) -> None:
    ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows(*[f"A{i}" for i in range(120)])))
    december = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows(*[f"A{i}" for i in range(60)])))
    assert (december.status, december.rows_loaded) == ("loaded", 60)
    (tmp_path / "late").mkdir()
    late = ingest_file(ctx, TENANCIES, _write(tmp_path / "late", "2025-11", _rows("A1")))
    assert (late.status, late.outdated) == ("loaded", ()), "an older month is outdated at once: it deletes nothing"
    assert _query(ctx.url, "select count(*) from raw.housing_tenancies") == [(60,)]


def test_an_append_source_keeps_its_earlier_periods_rows(ctx: IngestContext, tmp_path: Path) -> None:
    events = replace(TENANCIES, load="append")
    november = ingest_file(ctx, events, _write(tmp_path, "2025-11", _rows(*[f"A{i}" for i in range(120)])))
    december = ingest_file(ctx, events, _write(tmp_path, "2025-12", _rows("B1")))
    assert (december.status, december.outdated) == ("loaded", ())
    assert _query(ctx.url, "select batch_id, count(*) from raw.housing_tenancies group by 1 order by 1") == [
        (november.batch_id, 120),
        (december.batch_id, 1),
    ]
    assert _query(ctx.url, "select count(*) from audit.batches where outdated_by is not null") == [(0,)]


def test_the_ledger_ddl_can_run_again(ctx: IngestContext) -> None:
    ledger.ensure_ledger(ctx.url)
    ledger.ensure_ledger(ctx.url)
    assert _query(ctx.url, "select count(*) from audit.current_batches") == [(0,)]


@pytest.mark.parametrize(
    ("status", "counts", "reasons", "observes"),
    [
        ("loaded", (30, 30, 0), {}, True),
        ("loaded", (30, 0, 30), {"invalid_date": 30}, False),  # its events wait in quarantine, not absent
        ("loaded", (3, 0, 3), {"opposition": 1, "invalid_date": 2}, False),
        ("loaded", (0, 0, 0), {}, True),  # a partner's empty month
        ("loaded", (2, 0, 2), {"opposition": 2}, True),  # only people who opposed: kept out by their choice
        ("replaced", (30, 30, 0), {}, False),
    ],
    ids=["loaded", "all-invalid", "opposed-and-invalid", "empty", "all-opposed", "replaced"],
)
def test_a_batch_observes_its_month_unless_every_row_it_read_was_kept_out_as_invalid(
    ctx: IngestContext, status: str, counts: tuple[int, int, int], reasons: dict[str, int], observes: bool
) -> None:
    """The one rule audit.current_batches, int_sources_observed and the extracts_on_time check read."""
    with psycopg.connect(ctx.url) as conn:
        (batch_id,) = conn.execute(
            "insert into audit.batches (source, file_name, sha256, period, rows_read, rows_loaded, rows_quarantined,"
            " status) values ('housing_tenancies', 'tenancies_2025-12.csv', 'x', '2025-12', %s, %s, %s, %s)"
            " returning batch_id",
            (*counts, status),
        ).fetchone()
        rows = [code for code, n in reasons.items() for _ in range(n)]
        conn.cursor().executemany(
            "insert into audit.rejections (batch_id, source_row, reason_code) values (%s, %s, %s)",
            [(batch_id, row, code) for row, code in enumerate(rows, 2)],
        )
    assert _query(ctx.url, "select batch_id from audit.observing_batches") == ([(batch_id,)] if observes else [])


def test_a_ledger_the_release_before_left_gains_its_views_before_it_is_read(ctx: IngestContext, tmp_path) -> None:
    """A ledger holding every column but left by the release before audit.observing_batches: a command reading it
    without loading (`abord quarantine list`, the extracts_on_time check) failed on the view missing."""
    loaded = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", _rows("B1")))
    with psycopg.connect(ctx.url) as conn:
        conn.execute("drop view audit.observing_batches cascade")  # current_batches read it: gone too

    assert ledger.ledger_for_reading(ctx.url)

    assert _query(ctx.url, "select batch_id from audit.observing_batches") == [(loaded.batch_id,)]
    assert _query(ctx.url, "select batch_id from audit.current_batches") == [(loaded.batch_id,)]


@pytest.mark.parametrize("collide", [False, True], ids=["fingerprints apart", "every fingerprint equal"])
def test_a_repeated_record_id_is_rejected_exactly(ctx: IngestContext, tmp_path: Path, monkeypatch, collide) -> None:
    """Record ids are remembered by a fingerprint; rows whose fingerprint was met are settled against the refs
    spooled, so a collision of fingerprints never rejects a row and a repeated id always is."""
    if collide:
        monkeypatch.setattr("pipelines.record_fingerprints.fingerprint", lambda ref: 1)
        monkeypatch.setattr("pipelines.ingest.fingerprint", lambda ref: 1)
    rows = _rows("B1", "B2", "B3", "B2", "B4", "B1")
    summary = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-12", rows))
    assert (summary.rows_loaded, summary.rows_quarantined) == (4, 2)
    loaded = _query(ctx.url, "select source_row from raw.housing_tenancies order by 1")
    assert loaded == [(1,), (2,), (3,), (5,)]
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-12.csv")
    with quarantine.open(encoding="utf-8", newline="") as handle:
        rejected = sorted((line["source_row"], line["id_bail"], line["message"]) for line in csv.DictReader(handle))
    # each names the copy kept, for the steward to compare
    assert rejected == [
        ("4", "B2", "'B2' appears twice: row 2 came first"),
        ("6", "B1", "'B1' appears twice: row 1 came first"),
    ]


def test_fingerprints_remember_every_ref_as_the_table_grows() -> None:
    refs = [record_key(bytes(32), "s", str(n)) for n in range(50_000)]
    met = RecordFingerprints(capacity=16)
    assert not any(met.add(ref) for ref in refs)
    assert all(met.add(ref) for ref in refs)


def _moved_while_read(monkeypatch, after_row: int, move) -> None:
    """The landing file read by the next batch is moved on by `move` once `after_row` rows are read."""
    real = ingest.read_rows

    def reading(path: Path, contract, *lacking):
        for number, row in real(path, contract, *lacking):
            yield number, row
            if number == after_row:
                move(path)

    monkeypatch.setattr(ingest, "read_rows", reading)


def test_a_file_still_being_copied_while_it_is_read_loads_nothing(ctx, tmp_path: Path, monkeypatch) -> None:
    """A partner's upload still writing the file: what was read is half of it, under the sha256 of less still."""
    path = _write(tmp_path, "2025-12", _rows("B1", "B2"))

    def copy_goes_on(p: Path) -> None:
        with p.open("ab") as handle:
            handle.write(b"B3;PB3;Lyon;03/02/2021;;;400,00\r\n")

    _moved_while_read(monkeypatch, 2, copy_goes_on)
    summary = ingest_file(ctx, TENANCIES, path)
    assert summary.status == "changed" and "changed while it was read" in summary.message
    assert _query(ctx.url, "select count(*) from audit.batches") == [(0,)]
    assert not list(ctx.quarantine_dir.rglob("*.csv*"))
    monkeypatch.undo()
    assert ingest_file(ctx, TENANCIES, path).rows_loaded == 3, "once copied, it loads whole"


def test_a_file_moved_away_while_it_is_read_is_not_held_rejected(ctx, tmp_path: Path, monkeypatch) -> None:
    """Moved (renamed, or taken back) after its sha256 was read: not a file rejected, whose same bytes, dropped
    again under their right name, would be refused as already rejected."""
    path = _write(tmp_path, "2025-12", _rows("B1", "B2"))
    real = ledger.batch_sha256

    def then_moved(p: Path, beside=()) -> str:
        sha = real(p, beside)
        p.rename(tmp_path / "back")
        return sha

    monkeypatch.setattr(ingest, "batch_sha256", then_moved)
    summary = ingest_file(ctx, TENANCIES, path)
    assert summary.status == "gone" and "no longer in landing" in summary.message
    assert _query(ctx.url, "select count(*) from audit.batches") == [(0,)]
    monkeypatch.undo()
    (tmp_path / "back").rename(path)
    assert ingest_file(ctx, TENANCIES, path).rows_loaded == 2


def test_a_file_moved_away_while_its_undecodable_byte_is_looked_for_is_gone(ctx, tmp_path: Path, monkeypatch) -> None:
    """A byte cp1252 does not have (0x81) past the first rows read: the line it is on is looked for by reopening the
    file by its path, which had gone meanwhile, and a raw FileNotFoundError stopped the run."""
    path = _write(tmp_path, "2025-12", _rows(*(f"B{i}" for i in range(400))))
    with path.open("ab") as handle:
        handle.write(b"B400;PB400;Ly\x81on;03/02/2021;;;400,00\r\n")
    _moved_while_read(monkeypatch, 1, lambda p: p.rename(tmp_path / "back"))
    summary = ingest_file(ctx, TENANCIES, path)
    assert summary.status == "gone" and "no longer in landing" in summary.message
    assert _query(ctx.url, "select count(*) from audit.batches") == [(0,)]
    assert not list(ctx.quarantine_dir.rglob("*.csv*"))
    monkeypatch.undo()
    (tmp_path / "back").rename(path)
    rejected = ingest_file(ctx, TENANCIES, path)
    assert rejected.status == "rejected" and rejected.message.startswith("tenancies_2025-12.csv: line 402, byte 14")


def test_a_file_gone_from_landing_before_its_turn_leaves_the_others_to_load(ctx, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "housing").mkdir(parents=True)
    first = _write(landing / "housing", "2025-11", _rows("B1"))
    _write(landing / "housing", "2025-12", _rows("B1", "B2"))
    real = ingest.ingest_file

    def steward_moves_the_first(ctx, contract, path):
        first.unlink(missing_ok=True)
        return real(ctx, contract, path)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ingest, "ingest_file", steward_moves_the_first)
        summaries = ingest.ingest_source(ctx, TENANCIES, landing)
    assert [(s.file_name, s.status) for s in summaries] == [
        ("tenancies_2025-11.csv", "gone"),
        ("tenancies_2025-12.csv", "loaded"),
    ]


def test_a_file_gone_between_listing_and_its_stat_leaves_the_others_to_load(ctx, tmp_path: Path, monkeypatch) -> None:
    """Landing is listed, then a steward moves a file away before the order of the files is read."""
    landing = tmp_path / "landing"
    (landing / "housing").mkdir(parents=True)
    first = _write(landing / "housing", "2025-11", _rows("B1"))
    _write(landing / "housing", "2025-12", _rows("B1", "B2"))
    real = Path.glob

    def listed_then_moved(self: Path, pattern: str):
        yield from real(self, pattern)
        if pattern == TENANCIES.file_pattern:
            first.unlink(missing_ok=True)

    monkeypatch.setattr(Path, "glob", listed_then_moved)
    summaries = ingest.ingest_source(ctx, TENANCIES, landing)
    assert [(s.file_name, s.status) for s in summaries] == [
        ("tenancies_2025-11.csv", "gone"),
        ("tenancies_2025-12.csv", "loaded"),
    ]


def test_a_file_the_abord_user_cannot_read_is_named_and_the_others_load(ctx, tmp_path: Path, monkeypatch) -> None:
    """A file of another owner in mode 0600, or locked: its PermissionError at the sha256 stopped the whole source.
    Nothing is recorded (the ledger knows files by a sha256 that cannot be read): it is read again once readable.
    The tests run as root, who reads any file: the error is raised as the OS would."""
    landing = tmp_path / "landing"
    (landing / "housing").mkdir(parents=True)
    locked = _write(landing / "housing", "2025-11", _rows("B1"))
    _write(landing / "housing", "2025-12", _rows("B1", "B2"))
    deny_opening(monkeypatch, lambda path: path == locked)
    summaries = ingest.ingest_source(ctx, TENANCIES, landing)
    assert [(s.file_name, s.status) for s in summaries] == [
        ("tenancies_2025-11.csv", "unreadable"),
        ("tenancies_2025-12.csv", "loaded"),
    ]
    assert summaries[0].message.startswith("tenancies_2025-11.csv cannot be read: Permission denied;")
    assert _query(ctx.url, "select file_name, status from audit.batches") == [("tenancies_2025-12.csv", "loaded")]
    monkeypatch.undo()
    assert ingest_file(ctx, TENANCIES, locked).status == "loaded", "once readable, it is read"


def test_a_re_send_names_the_batches_it_replaces_in_order(ctx, tmp_path: Path) -> None:
    """The month and the retry of its fixed row, both replaced: their ids in order, whatever the ledger's row order
    (an erasure's count updated on the first batch, then a VACUUM FULL, moves its row after the retry's)."""
    november = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", bad="A2")))
    quarantine = quarantine_path(ctx.quarantine_dir, "housing_tenancies", "tenancies_2025-11.csv")
    _fix_first_row(quarantine, date_debut="28/02/2021")
    retried = retry_quarantine(ctx, quarantine)
    with psycopg.connect(ctx.url, autocommit=True) as conn:
        conn.execute("update audit.batches set rows_erased = 0 where batch_id = %s", (november.batch_id,))
        conn.execute("vacuum full audit.batches")

    resent = ingest_file(ctx, TENANCIES, _write(tmp_path, "2025-11", _rows("A1", "A2")))

    assert resent.replaced == (november.batch_id, retried.batch_id)
    assert f"replaces batch {november.batch_id}, {retried.batch_id}" in resent.line()
