"""Opposition at ingestion: which rows of a linked batch are dropped, through link keys only."""

from __future__ import annotations

from datetime import date, timedelta

from pseudonymisation.link_keys import Identity, link_keys
from pseudonymisation.probabilistic import encode_identity, loads
from pseudonymisation.rights import identity_of, opposed_rows, request_encodings, request_keys

KEY = bytes(range(32))


def test_request_rows_become_link_keys() -> None:
    rows = [{"given_name": "Marie", "family_name": "Dupont", "birth_date": "12/03/1975", "nir": " "}, {"email": ""}]
    keys, usable = request_keys(KEY, rows)
    assert usable == 1
    assert keys == set(link_keys(KEY, Identity(given_name="Marie", family_name="Dupont", birth_date="1975-03-12")))
    assert identity_of({"nir": "  "}).nir is None


def test_opposed_rows_drop_the_person_and_pass_on_their_references() -> None:
    row_keys = [["a", "ref1"], ["b"], ["c", "ref3"], []]
    person_keys = ["p1", "p1", "p2", "p3"]  # rows 0 and 1 are one person, linked by the batch
    drop, new = opposed_rows(row_keys, person_keys, {"b"})
    assert drop == [True, True, False, False]
    assert new == {"a", "ref1"}  # a later row referencing ref1 is caught too
    assert opposed_rows(row_keys, person_keys, set()) == ([False] * 4, set())


def test_a_stored_opposed_person_drops_rows_that_reach_them_without_an_opposed_key() -> None:
    # p2 holds an opposed key in the store; its row in this batch came through another key (or a typo)
    drop, new = opposed_rows([["a"], ["c", "ref3"]], ["p1", "p2"], set(), opposed_persons={"p2", "p9"})
    assert drop == [False, True]
    assert new == {"c", "ref3"}


def test_request_rows_become_keyed_encodings_for_a_misspelt_return() -> None:
    rows = [{"given_name": "Marie-Hélène", "family_name": "Dupont", "birth_date": "04/07/1968"}, {"nir": "x"}]
    (encoding,) = request_encodings(KEY, rows)
    expected = encode_identity(KEY, Identity(given_name="Marie-Hélène", family_name="Dupont", birth_date="1968-07-04"))
    assert loads(encoding) == expected
    assert "Dupont" not in encoding and "1968" not in encoding


def test_a_request_is_keyed_by_the_callers_day() -> None:
    # The programme's day may be a day ahead of the machine's: a birth date on it keys and encodes as in ingestion.
    day = date.today() + timedelta(days=1)
    rows = [{"given_name": "Nadia", "family_name": "Petit", "birth_date": day.strftime("%d/%m/%Y")}]
    nadia = Identity(given_name="Nadia", family_name="Petit", birth_date=day.isoformat())
    assert request_keys(KEY, rows, day) == (set(link_keys(KEY, nadia, day)), 1)
    assert request_keys(KEY, rows, day - timedelta(days=1)) == (set(), 0)
    assert [loads(e) for e in request_encodings(KEY, rows, day)] == [encode_identity(KEY, nadia, today=day)]
    assert request_encodings(KEY, rows, day - timedelta(days=1)) == []
