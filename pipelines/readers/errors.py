"""What readers hand on: rows of raw strings, and the two ways reading can fail."""

from __future__ import annotations

Row = dict[str, str | None]


class FileRejected(ValueError):
    """The whole file cannot be read under its contract; `code` is the audit reason code."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class RowUnreadable(ValueError):
    """One row cannot be split into fields; the rest of the file is still read."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
