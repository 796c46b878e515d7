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


def save_over_as_retried(monkeypatch, quarantine: Path, saved: bytes) -> None:
    """The steward's spreadsheet saves `saved` over a quarantine file once `abord quarantine retry` has checked it,
    as its batch begins: the batch reads what was saved, which was there from its first look at the file."""
    real = retry.ingest_extract

    def saved_meanwhile(ctx, contract, extract):
        quarantine.write_bytes(saved)
        return real(ctx, contract, extract)

    monkeypatch.setattr(retry, "ingest_extract", saved_meanwhile)
