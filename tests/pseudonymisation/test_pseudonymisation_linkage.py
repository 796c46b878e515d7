"""Deterministic clustering against an identity store."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from pseudonymisation.linkage import components, link


def counter(prefix: str = "p") -> Callable[[], str]:
    numbers = itertools.count(1)
    return lambda: f"{prefix}{next(numbers):03d}"


def test_records_sharing_keys_transitively_are_one_person() -> None:
    records = [["a", "b"], ["b", "c"], ["c", "d"], ["x"], ["y", "x"], []]
    result = link(records, {}, counter())
    assert result.person_keys[:3] == ["p001"] * 3
    assert result.person_keys[3:5] == ["p002"] * 2
    assert result.person_keys[5] == "p003"  # no link key: a person of its own
    assert result.new_mappings == {
        "a": "p001",
        "b": "p001",
        "c": "p001",
        "d": "p001",
        "x": "p002",
        "y": "p002",
    }
    assert result.merges == []


def test_records_without_keys_are_each_a_new_person() -> None:
    result = link([[], [], []], {}, counter())
    assert result.person_keys == ["p001", "p002", "p003"]
    assert result.new_mappings == {}


def test_existing_person_keys_are_reused() -> None:
    store = {"a": "known"}
    result = link([["b"], ["a", "b"], ["z"]], store, counter())
    assert result.person_keys == ["known", "known", "p001"]
    assert result.new_mappings == {"b": "known", "z": "p001"}
    assert result.merges == []


def test_clusters_join_through_the_store() -> None:
    # "a" and "b" never share a record, but the store already knows they are one person.
    store = {"a": "P1", "b": "P1"}
    result = link([["a", "x"], ["b", "y"]], store, counter())
    assert result.person_keys == ["P1", "P1"]
    assert result.new_mappings == {"x": "P1", "y": "P1"}


def test_merge_keeps_smallest_and_remaps_all_absorbed_keys() -> None:
    store = {"a": "P2", "a2": "P2", "b": "P1", "c": "P3", "c2": "P3", "other": "P9"}
    result = link([["a", "b"], ["b", "c"]], store, counter())
    assert result.person_keys == ["P1", "P1"]
    assert sorted(result.merges) == [("P2", "P1"), ("P3", "P1")]
    # every stored key of the absorbed persons moves, including those not in this batch
    assert result.new_mappings == {"a": "P1", "a2": "P1", "c": "P1", "c2": "P1"}


def test_rerun_against_updated_store_is_stable() -> None:
    store = {"a": "P2", "b": "P1", "k": "P7"}
    records = [["a", "b"], ["n1", "n2"], ["n2", "n3"], ["k", "m"], []]
    first = link(records, store, counter("new"))
    store.update(first.new_mappings)
    second = link(records, store, counter("later"))
    assert second.person_keys[:4] == first.person_keys[:4]
    assert second.new_mappings == {}
    assert second.merges == []


def test_same_person_key_for_one_person_seen_in_a_later_refresh() -> None:
    store: dict[str, str] = {}
    first = link([["nir1", "names1"]], store, counter("r1-"))
    store.update(first.new_mappings)
    second = link([["names1", "email1"]], store, counter("r2-"))
    assert second.person_keys == first.person_keys
    assert second.new_mappings == {"email1": first.person_keys[0]}


def test_default_person_keys_are_random_hex() -> None:
    result = link([["a"], ["b"]], {})
    assert len(set(result.person_keys)) == 2
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in result.person_keys)


def test_large_batch_is_linear_enough() -> None:
    # A long chain a0-a1, a1-a2, ... is one person; path compression keeps this fast.
    records = [[f"k{i}", f"k{i + 1}"] for i in range(50_000)]
    result = link(records, {}, counter())
    assert set(result.person_keys) == {"p001"}
    assert len(result.new_mappings) == 50_001


def test_components_tell_whether_records_still_hold_together() -> None:
    # records 0 and 2 share a key; 1 joins 3 only through a typo-tolerant match; 4 stands alone
    records = [["a", "b"], ["c"], ["b"], ["d"], ["e"]]
    assert components(records, [(1, 3)]) == [0, 1, 0, 1, 2]
    assert components(records) == [0, 1, 0, 2, 3]
