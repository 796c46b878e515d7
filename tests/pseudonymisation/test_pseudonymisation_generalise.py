"""Generalisation of quasi-identifiers."""

from __future__ import annotations

from datetime import date

import pytest

from pseudonymisation.generalise import age_band, birth_year, departement


def test_birth_year() -> None:
    assert birth_year("1985-03-04") == 1985
    assert birth_year(date(1985, 3, 4)) == 1985
    assert birth_year("04/03/1985") is None
    assert birth_year("") is None
    assert birth_year(None) is None


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("2006-06-30", "18-24"),  # 18th birthday on the day
        ("2006-07-01", None),  # 17: no adult band
        ("1999-07-01", "18-24"),  # 24, turns 25 the next day
        ("1999-06-30", "25-34"),
        ("1989-07-01", "25-34"),
        ("1989-06-30", "35-44"),
        ("1979-06-30", "45-54"),
        ("1969-06-30", "55-64"),
        ("1959-07-01", "55-64"),
        ("1959-06-30", "65+"),
        ("1930-01-01", "65+"),
        ("2000-02-29", "18-24"),
        ("2030-01-01", None),
        ("n/a", None),
        (None, None),
    ],
)
def test_age_band(born: str | None, expected: str | None) -> None:
    assert age_band(born, on=date(2024, 6, 30)) == expected


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("69003", "69"),
        (" 75 011 ", "75"),
        ("01000", "01"),
        ("1000", "01"),  # leading zero lost by a spreadsheet
        (1000, "01"),
        ("20000", "2A"),  # Ajaccio
        ("20199", "2A"),
        ("20200", "2B"),  # Bastia
        ("20600", "2B"),
        ("97411", "974"),
        ("97200", "972"),
        ("98800", "988"),
        ("00100", None),
        ("6900", "06"),
        ("690", None),
        ("69OO3", None),
        ("", None),
        (None, None),
    ],
)
def test_departement(postcode: str | int | None, expected: str | None) -> None:
    assert departement(postcode) == expected
