"""Valid rows of the person-level files, parked on disk while the persons are simulated.

A file's broken rows are placed among its valid ones, which needs their count before the first row is
written; the count is only known once every person has been simulated. So the rows of every (snapshot,
source) go to a spool file of their own, in batches, and are read back from it, as often as needed,
when the partner files are written.
"""

from __future__ import annotations

import heapq
import itertools
import operator
import pickle
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from pipelines.sample.invalid import Row
from pipelines.sample.rows import RowsWithPersons
from pipelines.sample.sources import HEADERS

BATCH = 1000  # rows per pickle call: few calls, and little held per (snapshot, source)
SORT_RUN = 200_000  # rows sorted in memory at a time; longer files are merged from sorted runs on disk


class Spool:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._files: dict[tuple[str, str], BinaryIO] = {}
        self._batches: dict[tuple[str, str], list[tuple[str | None, list[tuple]]]] = {}  # (person, rows) pairs
        self._pending: dict[tuple[str, str], int] = {}  # rows in the batch
        self.counts: dict[tuple[str, str], int] = {}

    def _path(self, key: tuple[str, str]) -> Path:
        return self._directory / f"{key[1]}_{key[0]}.pickle"

    def add(self, key: tuple[str, str], rows: Iterable[Row], person: str | None) -> None:
        """Park one person's rows of (snapshot date, source), each as its values in header order."""
        values = operator.itemgetter(*HEADERS[key[1]])
        parked = list(map(values, rows))
        if not parked:
            return
        batch = self._batches.setdefault(key, [])
        batch.append((person, parked))
        self.counts[key] = self.counts.get(key, 0) + len(parked)
        self._pending[key] = self._pending.get(key, 0) + len(parked)
        if self._pending[key] >= BATCH:
            self._flush(key)

    def _flush(self, key: tuple[str, str]) -> None:
        if key not in self._files:
            self._files[key] = self._path(key).open("wb")
        pickle.dump(self._batches[key], self._files[key], pickle.HIGHEST_PROTOCOL)
        self._batches[key], self._pending[key] = [], 0

    def close(self) -> None:
        """Write what is left: call once every person is parked, before reading."""
        for key, batch in self._batches.items():
            if batch:
                self._flush(key)
        for handle in self._files.values():
            handle.close()

    def rows(self, key: tuple[str, str]) -> Callable[[], RowsWithPersons]:
        """The parked rows as a callable that streams them again at every call."""
        header, path = HEADERS[key[1]], self._path(key)

        def read() -> RowsWithPersons:
            if not path.exists():
                return
            for person, parked in _batches(path):
                # map and zip keep the per-row work in C: the spool is read back for every row written
                rows = map(dict, map(zip, itertools.repeat(header), parked))
                yield from zip(rows, itertools.repeat(person))

        return read

    def sorted_rows(self, key: tuple[str, str], column: str) -> Callable[[], RowsWithPersons]:
        """The parked rows in order of `column`, then of their first value (the record id). Sorted once, in
        runs of SORT_RUN rows merged from disk, so memory stays bounded however many rows there are."""
        header, path = HEADERS[key[1]], self._path(key)
        order = operator.itemgetter(header.index(column), 0)
        merged = path.with_suffix(".sorted.pickle")
        if not path.exists():
            return self.rows(key)
        if not merged.exists():
            runs = [self._write_run(path, n, run, order) for n, run in enumerate(_runs(_parked(path)))]
            with merged.open("wb") as handle:
                _dump_batches(handle, heapq.merge(*map(_parked, runs), key=lambda pair: order(pair[1])))
            for run in runs:
                run.unlink()
        return lambda: ((dict(zip(header, values, strict=True)), person) for person, values in _parked(merged))

    @staticmethod
    def _write_run(path: Path, number: int, run: list[tuple[str | None, tuple]], order) -> Path:
        run.sort(key=lambda pair: order(pair[1]))
        run_path = path.with_suffix(f".run{number}.pickle")
        with run_path.open("wb") as handle:
            _dump_batches(handle, run)
        return run_path


def _batches(path: Path) -> Iterator[tuple[str | None, list[tuple]]]:
    """(person, their rows' values) as parked in a spool file."""
    with path.open("rb") as handle:
        while True:
            try:
                yield from pickle.load(handle)
            except EOFError:
                return


def _parked(path: Path) -> Iterator[tuple[str | None, tuple]]:
    """(person, row values) of a spool file, one row at a time."""
    for person, parked in _batches(path):
        for values in parked:
            yield person, values


def _runs(pairs: Iterable[tuple[str | None, tuple]]) -> Iterator[list[tuple[str | None, tuple]]]:
    run = []
    for pair in pairs:
        run.append(pair)
        if len(run) == SORT_RUN:
            yield run
            run = []
    if run:
        yield run


def _dump_batches(handle: BinaryIO, pairs: Iterable[tuple[str | None, tuple]]) -> None:
    """Rows in the spool's format, a row a pair: batches of BATCH (person, [values]) pairs."""
    batch = []
    for person, values in pairs:
        batch.append((person, [values]))
        if len(batch) == BATCH:
            pickle.dump(batch, handle, pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        pickle.dump(batch, handle, pickle.HIGHEST_PROTOCOL)
