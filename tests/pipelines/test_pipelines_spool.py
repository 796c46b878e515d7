"""A batch's rows wait on disk as COPY text: what comes out of the raw table is what went in, whatever the text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg

from pipelines.batch_spool import BatchSpool
from pipelines.person_linkage import LinkEntries
from pipelines.raw_tables import copy_column, copy_integer_array, copy_text_array

TYPES = ("text", "date", "decimal", "integer")  # of the contract's columns, as validation types their values
AWKWARD = ["plain", "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash \\N", "", "é à ç"]


def test_values_come_back_from_copy_text_as_they_were(warehouse_url: str, tmp_path: Path) -> None:
    spool = BatchSpool(tmp_path, person_level=True)
    rows = [(text, date(2024, 2, 29), Decimal("12.50"), 7) for text in AWKWARD] + [(None, None, None, None)]
    columns = [copy_column(kind)(list(values)) for kind, values in zip(TYPES, zip(*rows, strict=True), strict=True)]
    lines = ["\t".join(fields) for fields in zip(*columns, strict=True)]
    spool.write_many((number, text, number % 2) for number, text in enumerate(lines, start=1))
    dropped: list[int] = []
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("create table t (batch_id int, n int, a text, d date, x numeric, i bigint, person_key text)")
        with cur.copy("copy t from stdin") as copy:
            for text in spool.copy_text(9, ["even", "odd"], [False, False], dropped):
                copy.write(text)
        loaded = cur.execute("select n, a, d, x, i, person_key, batch_id from t order by n").fetchall()
    spool.close()
    assert [row[1:5] for row in loaded] == rows
    assert [row[5] for row in loaded] == ["odd" if n % 2 else "even" for n in range(1, len(rows) + 1)]
    assert {row[6] for row in loaded} == {9} and dropped == []


def test_arrays_come_back_from_copy_text_as_they_were(warehouse_url: str) -> None:
    texts = [*AWKWARD, "a,b", "{brace}", 'quote"d', "NULL", " spaced "]  # what an array literal must quote
    numbers = [0, -3, (1 << 31) - 1]
    line = f"{copy_text_array(texts)}\t{copy_text_array([])}\t{copy_integer_array(numbers)}\t{copy_integer_array([])}\n"
    with psycopg.connect(warehouse_url) as conn, conn.cursor() as cur:
        cur.execute("create table a (t text[], none_t text[], i integer[], none_i integer[])")
        with cur.copy("copy a from stdin") as copy:
            copy.write(line)
        assert cur.execute("select * from a").fetchone() == (texts, [], numbers, [])


def test_rows_of_an_opposed_entry_are_dropped_and_counted(tmp_path: Path) -> None:
    spool = BatchSpool(tmp_path, person_level=True)
    for number, entry in [(1, 0), (2, 1), (3, 0), (5, 1)]:
        spool.write(number, "ref", entry)
    dropped: list[int] = []
    text = "".join(spool.copy_text(4, ["p0", "p1"], [False, True], dropped))
    spool.close()
    assert text == "4\t1\tref\tp0\n4\t3\tref\tp0\n"
    assert dropped == [2, 5]


def test_rows_of_one_person_share_an_entry() -> None:
    entries = LinkEntries()
    same = ["k1", "k2"]
    encoding = object()
    assert [entries.add(same, encoding), entries.add(["k3"], None), entries.add(list(same), encoding)] == [0, 1, 0]
    assert entries.rows == [2, 1]
    assert entries.keys == [same, ["k3"]]
