"""Deterministic person linkage: cluster records by shared link keys, reusing an identity store.

No I/O: the caller passes the store (link key -> person key) as a mapping and persists
``new_mappings``. Re-running the same records against the updated store is a no-op, which is what
keeps person keys stable from one refresh to the next.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from uuid import uuid4


@dataclass
class LinkResult:
    person_keys: list[str]  # one per input record, same order
    new_mappings: dict[str, str] = field(default_factory=dict)  # link_key -> person_key to store
    merges: list[tuple[str, str]] = field(default_factory=list)  # (absorbed, kept) person keys


class _UnionFind:
    """Union by size with path halving: near-constant amortised cost per operation."""

    def __init__(self) -> None:
        self.parent: dict[Hashable, Hashable] = {}
        self.size: dict[Hashable, int] = {}

    def find(self, x: Hashable) -> Hashable:
        parent = self.parent
        if x not in parent:
            parent[x] = x
            self.size[x] = 1
            return x
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Hashable, b: Hashable) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


def link(
    records: list[list[str]],
    store: Mapping[str, str],
    new_person_key: Callable[[], str] = lambda: uuid4().hex,
) -> LinkResult:
    """Assign a person key to each record (a list of link keys).

    Records sharing a link key, directly or through person keys already in ``store``, form one
    cluster. A cluster keeps the smallest existing person key it touches and reports the others
    as merges; a cluster touching none gets ``new_person_key()``; a record with no link key is a
    person of its own.
    """
    uf = _UnionFind()
    # Nodes are ("k", link_key) and ("p", person_key): joining link keys to the person key they
    # already map to makes clusters transitive through the store.
    for keys in records:
        if not keys:
            continue
        first = ("k", keys[0])
        for k in keys:
            uf.union(first, ("k", k))
            if k in store:
                uf.union(first, ("p", store[k]))

    existing: dict[Hashable, set[str]] = {}  # cluster root -> person keys already in the store
    for node in list(uf.parent):
        if node[0] == "p":
            existing.setdefault(uf.find(node), set()).add(node[1])

    chosen: dict[Hashable, str] = {}
    merges: list[tuple[str, str]] = []
    person_keys: list[str] = []
    for keys in records:
        if not keys:
            person_keys.append(new_person_key())
            continue
        root = uf.find(("k", keys[0]))
        if root not in chosen:
            persons = sorted(existing.get(root, ()))
            if persons:
                chosen[root] = persons[0]
                merges.extend((absorbed, persons[0]) for absorbed in persons[1:])
            else:
                chosen[root] = new_person_key()
        person_keys.append(chosen[root])

    new_mappings: dict[str, str] = {}
    for keys in records:
        for k in keys:
            target = chosen[uf.find(("k", k))]
            if store.get(k) != target:
                new_mappings[k] = target
    if merges:
        # Stored link keys of an absorbed person that this batch did not mention move too.
        kept_of = dict(merges)
        for k, person in store.items():
            if person in kept_of and k not in new_mappings:
                new_mappings[k] = kept_of[person]
    return LinkResult(person_keys=person_keys, new_mappings=new_mappings, merges=merges)


def components(records: Sequence[Sequence[str]], joined: Iterable[tuple[int, int]] = ()) -> list[int]:
    """The component of each record (a list of link keys), numbered from 0 in order of first appearance: records
    sharing a link key, or paired in ``joined`` (positions, e.g. typo-tolerant matches), are one. Re-clustering
    a person's current records with it tells whether they still hold together."""
    uf = _UnionFind()
    for n, keys in enumerate(records):
        uf.find(("r", n))
        for k in keys:
            uf.union(("r", n), ("k", k))
    for i, j in joined:
        uf.union(("r", i), ("r", j))
    numbers: dict[Hashable, int] = {}
    return [numbers.setdefault(uf.find(("r", n)), len(numbers)) for n in range(len(records))]
