"""Quarantine files a process leaves behind when a step fails or it is killed, for the pipelines tests."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines import ingest
from pipelines.quarantine import writer_tag


def gone_pid() -> int:
    """The process id of a process that has exited."""
    gone = multiprocessing.get_context("fork").Process(target=int)
    gone.start()
    gone.join()
    return gone.pid


def as_if_written_by(path: Path, writer: str) -> Path:
    """A file named for this process (``….<writer_tag>.partial``, ``….<writer_tag>.tmp``), renamed as one of
    ``writer`` (``<pid>-<start time>``, or an older abord's ``<pid>``)."""
    return path.rename(path.with_name(path.name.replace(f".{writer_tag()}.", f".{writer}.")))


def as_if_its_writer_exited(path: Path) -> Path:
    return as_if_written_by(path, f"{gone_pid()}-{started()}")


def started() -> str:
    """This process's start time as ``writer_tag`` holds it."""
    return writer_tag().split("-")[1]


def rename_failing(quarantine_dir: Path, monkeypatch: pytest.MonkeyPatch, load: Callable[[], object]) -> Path:
    """Run ``load``, its quarantine file failing to take its place once the batch has committed: the partial file
    left, the only copy of the batch's rejected rows (its writer, this process, alive)."""

    def failing(*args) -> None:
        raise OSError("no space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(ingest, "_settle_quarantine", failing)
        with pytest.raises(OSError):
            load()
    (kept,) = quarantine_dir.rglob("*.partial")
    return kept
