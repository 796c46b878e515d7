"""Keyed link keys: the same person written differently links; different people do not."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from pseudonymisation.keys import Key
from pseudonymisation.link_keys import Identity, keyed_hash, link_keys, record_key, record_keyer, rotate_digest

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))

MARIE = Identity(
    given_name="Marie-Hélène",
    family_name="Lefèvre",
    birth_date="1985-03-04",
    sex="F",
    nir="2 85 03 69 123 045 79",
    phone="06 12 34 56 78",
    email="MH.Lefevre@Example.fr",
)


def shared(a: Identity, b: Identity, key: bytes = KEY) -> set[str]:
    return set(link_keys(key, a)) & set(link_keys(key, b))


def test_keyed_hash_is_hmac_sha256_with_domain_separation() -> None:
    expected = hmac.new(KEY, b"email\x1fa@b.fr", hashlib.sha256).hexdigest()
    assert keyed_hash(KEY, "email", "a@b.fr") == expected
    assert keyed_hash(KEY, "email", "x") != keyed_hash(KEY, "phone_dob", "x")
    assert keyed_hash(KEY, "email", "x") != keyed_hash(OTHER_KEY, "email", "x")


@pytest.mark.parametrize("length", [16, 32, 64, 65, 100])
def test_keyed_hash_is_hmac_sha256_whatever_the_key_length(length: int) -> None:
    # keyed_hash forms HMAC from SHA-256 states itself: a key longer than SHA-256's 64-byte block is hashed first
    key = bytes(range(length))
    for value in ("", "a@b.fr", "LEFEVRE|MARIE|1985-03-04", "Lefèvre", "x" * 300):
        expected = hmac.new(key, f"email\x1f{value}".encode(), hashlib.sha256).hexdigest()
        assert keyed_hash(key, "email", value) == expected


def test_a_sources_record_keyer_gives_its_record_keys_rotations_included() -> None:
    rotated = Key(KEY, (OTHER_KEY,))
    of_source = record_keyer(rotated, "housing_participants")
    for record_id in ("P1", "P2", "é"):
        plain = hmac.new(KEY, f"record:housing_participants\x1f{record_id}".encode(), hashlib.sha256).hexdigest()
        assert of_source(record_id) == record_key(rotated, "housing_participants", record_id)
        assert of_source(record_id) == rotate_digest(OTHER_KEY, plain)


def test_keys_are_sorted_unique_hex_without_cleartext() -> None:
    keys = link_keys(KEY, MARIE)
    assert keys == sorted(set(keys))
    assert all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)
    joined = " ".join(keys).upper()
    for clear in ("MARIE", "LEFEVRE", "1985", "EMAIL", "NIR", "PHONE"):
        assert clear not in joined


@pytest.mark.parametrize(
    "variant",
    [
        # upper case, accents dropped, different date format
        Identity(given_name="MARIE HELENE", family_name="LEFEVRE", birth_date="04/03/1985"),
        # given and family names swapped
        Identity(given_name="Lefèvre", family_name="Marie-Hélène", birth_date="1985-03-04"),
        # compound given name shortened to its first part
        Identity(given_name="Marie", family_name="Lefevre", birth_date="19850304"),
        # day and month swapped
        Identity(given_name="Marie-Hélène", family_name="Lefèvre", birth_date="1985-04-03"),
        # only the NIR, written differently
        Identity(nir="285036912304579"),
        # only the e-mail
        Identity(email=" mh.lefevre@example.fr "),
        # phone in another format with the birth date
        Identity(phone="+33 6 12 34 56 78", birth_date="04-03-1985"),
    ],
)
def test_same_person_written_differently_links(variant: Identity) -> None:
    assert shared(MARIE, variant)


@pytest.mark.parametrize(
    "other",
    [
        Identity(given_name="Marie-Hélène", family_name="Lefèvre", birth_date="1985-03-05"),
        Identity(given_name="Marie-Claire", family_name="Lefèvre", birth_date="1986-03-04"),
        Identity(given_name="Hélène", family_name="Lefèvre", birth_date="1985-03-04"),
        Identity(given_name="Marie-Hélène", family_name="Lefebvre", birth_date="1985-03-04"),
        Identity(nir="1 85 05 78 006 084 91"),
        Identity(email="mh.lefevre@example.com"),
        # a shared phone (a hostel, a relative) alone does not link
        Identity(given_name="Paul", family_name="Martin", birth_date="1990-01-01", phone="0612345678"),
    ],
)
def test_different_people_do_not_link(other: Identity) -> None:
    assert not shared(MARIE, other)


def test_a_different_key_gives_unrelated_link_keys() -> None:
    assert not set(link_keys(KEY, MARIE)) & set(link_keys(OTHER_KEY, MARIE))


def test_swapped_and_unswapped_names_give_the_very_same_key() -> None:
    a = Identity(given_name="Karim", family_name="Benali", birth_date="1990-07-14")
    b = Identity(given_name="Benali", family_name="Karim", birth_date="1990-07-14")
    names_key = keyed_hash(KEY, "names_dob", "BENALI|KARIM|1990-07-14")  # the sorted pair
    assert names_key in link_keys(KEY, a)
    assert names_key in link_keys(KEY, b)


def test_day_month_variant_only_when_the_swap_is_a_date() -> None:
    late = Identity(given_name="Karim", family_name="Benali", birth_date="1990-07-14")
    early = Identity(given_name="Karim", family_name="Benali", birth_date="1990-07-04")
    # names+dob, first given name+dob, and the swap variant only for day <= 12
    assert len(link_keys(KEY, late)) == 2
    assert len(link_keys(KEY, early)) == 3


def test_invalid_or_missing_identifiers_give_no_keys() -> None:
    assert link_keys(KEY, Identity()) == []
    junk = Identity(
        given_name="Marie",  # no family name nor birth date: names alone are too weak
        nir="1 85 05 78 006 084 92",  # wrong NIR key
        phone="0612345678",  # no birth date to go with it
        email="not-an-email",
        birth_date="31/02/1985",
    )
    assert link_keys(KEY, junk) == []


def test_identity_repr_does_not_show_identifiers() -> None:
    text = repr(MARIE) + str(MARIE)
    for clear in ("Marie", "Lefèvre", "1985", "06 12", "Example"):
        assert clear not in text


def test_record_key_is_namespaced_by_source() -> None:
    assert record_key(KEY, "hospital", "123") == keyed_hash(KEY, "record:hospital", "123")
    assert record_key(KEY, "hospital", "123") != record_key(KEY, "landlord", "123")
    assert re.fullmatch(r"[0-9a-f]{64}", record_key(KEY, "hospital", "123"))
