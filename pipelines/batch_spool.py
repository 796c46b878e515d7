"""A batch's valid rows on disk, as COPY text, between reading them and loading them.

Linkage needs every row of a batch before any person key is known, so the rows must wait somewhere: on disk,
memory stays bounded whatever the size of an extract. What waits is already pseudonymised (keyed references,
generalised birth year, redacted notes): nothing identifying is written. The file has no name (it is gone
when closed, or when the process dies), beside the quarantine so it stays in the data directory.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

CHUNK_CHARS = 1 << 20  # what each write to COPY carries


class BatchSpool:
    def __init__(self, directory: Path, person_level: bool):
        directory.mkdir(parents=True, exist_ok=True)
        self.person_level = person_level
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=directory)
        self.rows = 0

    def write(self, number: int, fields: str, entry: int) -> None:
        """A row: its source row number, its raw fields as COPY text, and its linkage entry (person level)."""
        self.write_many([(number, fields, entry)])

    def write_many(self, rows: Iterable[tuple[int, str, int]]) -> None:
        """Rows as `write` takes them, in one write to the file: a write per row cost a tenth of spooling."""
        if self.person_level:
            lines = [f"{number}\t{fields}\t{entry}\n" for number, fields, entry in rows]
        else:
            lines = [f"{number}\t{fields}\n" for number, fields, _ in rows]
        self._file.write("".join(lines))
        self.rows += len(lines)

    def record_refs(self) -> Iterator[tuple[str, int]]:
        """The keyed record ref of each row spooled so far (its first field) and its source row number; writing
        goes on after."""
        self._file.seek(0)
        for line in self._file:
            number, ref, _ = line.split("\t", 2)
            yield ref, int(number)
        self._file.seek(0, io.SEEK_END)

    def copy_text(
        self, batch_id: int, person_keys: Sequence[str | None], opposed: Sequence[bool], dropped: list[int]
    ) -> Iterator[str]:
        """The rows as COPY text in chunks, with the batch id first and the person key of its entry last; the
        source row numbers of rows whose person opposed are added to `dropped` instead."""
        self._file.seek(0)
        chunk: list[str] = []
        size = 0
        prefix = f"{batch_id}\t"
        for line in self._file:
            if self.person_level:
                body, _, entry_text = line.rpartition("\t")
                entry = int(entry_text)
                if opposed[entry]:
                    dropped.append(int(body[: body.index("\t")]))
                    continue
                line = f"{prefix}{body}\t{person_keys[entry]}\n"
            else:
                line = prefix + line
            chunk.append(line)
            size += len(line)
            if size >= CHUNK_CHARS:
                yield "".join(chunk)
                chunk, size = [], 0
        if chunk:
            yield "".join(chunk)

    def close(self) -> None:
        self._file.close()
