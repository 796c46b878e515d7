"""Quarantine files a process leaves behind when a step fails or it is killed, for the pipelines tests."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines import ingest


def gone_pid() -> int:
    """The process id of a process that has exited."""
    gone = multiprocessing.get_context("fork").Process(target=int)
    gone.start()
    gone.join()
    return gone.pid


def as_if_its_writer_exited(path: Path) -> Path:
    """A file named for this process (``….<pid>.partial``, ``….<pid>.tmp``), renamed as one of a process gone."""
    return path.rename(path.with_name(path.name.replace(f".{os.getpid()}.", f".{gone_pid()}.")))


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
