"""The secret pseudonymisation key: creation and checked loading.

The key is a 32-byte random secret, stored hex-encoded in a file readable by its owner only.
Error messages name the file, never its content.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
from pathlib import Path

KEY_BYTES = 32
_HEX = re.compile(r"[0-9a-fA-F]+")


class KeyFileError(Exception):
    """The key file is missing, unreadable, too open, malformed or too weak."""


def new_key(path: Path) -> None:
    """Write a fresh random key to ``path`` (mode 0600); never overwrite an existing file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: refuse to overwrite, even if the file appears between a check and the write.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"a pseudonymisation key already exists at {path}; refusing to overwrite it "
            "(replacing it would change every person key)"
        ) from None
    try:
        os.fchmod(fd, 0o600)  # the umask can only narrow the mode; make it exact anyway
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def load_key(path: Path) -> bytes:
    """Read and check the key at ``path``; return its raw bytes."""
    path = Path(path)
    if not path.exists():
        raise KeyFileError(f"no pseudonymisation key at {path}; create one with `abord key new`")
    if not path.is_file():
        raise KeyFileError(f"the pseudonymisation key path {path} is not a regular file")
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise KeyFileError(
                f"the pseudonymisation key at {path} is open to group or others (mode {mode:04o}); "
                f"restrict it with `chmod 600 {path}`"
            )
    # Raise outside the except blocks: a chained decode error would carry the file's bytes.
    text: str | None = None
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pass
    if text is None:
        raise KeyFileError(f"cannot read the pseudonymisation key at {path}")
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise KeyFileError(f"the pseudonymisation key at {path} is not hex-encoded")
    key = bytes.fromhex(text)
    if len(key) < KEY_BYTES:
        raise KeyFileError(
            f"the pseudonymisation key at {path} is too weak: {len(key)} bytes, at least {KEY_BYTES} are required"
        )
    return key
