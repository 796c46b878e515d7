"""What happens to partner files as they are read, made to happen in tests: a file another user owns (the tests run
as root, who reads any file), an upload writing over a file while a batch reads it, a steward saving a quarantine
file as it is retried."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipelines import ingest, retry


def deny_opening(monkeypatch, denied: Callable[[Path], bool]) -> None:
    """Path.open raises PermissionError, as the OS would, for the files `denied` picks."""
    real_open = Path.open

    def opening(path: Path, *args, **kwargs):
        if denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", opening)


def write_over_while_read(monkeypatch, sent_again: bytes) -> None:
    """Once a batch has read three rows of its file, an upload writes over it in place under its name (sftp): the
    same file, cut, then refilled with the first quarter of `sent_again`."""
    real = ingest.read_rows

    def upload_begins(extract: Path, contract, *lacking):
        for number, row in real(extract, contract, *lacking):
            yield number, row
            if number == 3:
                with extract.open("r+b") as handle:
                    handle.truncate(0)
                    handle.write(sent_again[: len(sent_again) // 4])

    monkeypatch.setattr(ingest, "read_rows", upload_begins)


def save_over_as(monkeypatch, step: tuple[object, str], quarantine: Path, saved: bytes) -> None:
    """The steward's spreadsheet saves `saved` over a quarantine file as `abord quarantine retry` comes to `step`
    (a module and the name of the function it calls there): once the retry has read the file (retry._loaded_refs),
    as its batch begins (retry.ingest_extract), or as it records its reasons before it commits
    (ingest.record_rejections)."""
    module, name = step
    real = getattr(module, name)

    def saved_meanwhile(*args, **kwargs):
        quarantine.write_bytes(saved)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, saved_meanwhile)


ONCE_READ = (retry, "_loaded_refs")
AS_ITS_BATCH_BEGINS = (retry, "ingest_extract")
AS_ITS_BATCH_COMMITS = (ingest, "record_rejections")
