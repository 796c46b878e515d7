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


class Key(bytes):
    """The base key, plus the rotation keys added since (oldest first), as read from the key file.

    Every keyed digest is computed under the base key and then wrapped once per rotation key
    (``link_keys.keyed_hash``), which is what lets ``abord key rotate`` re-key the stored digests in one
    pass without the identifiers (see ``pseudonymisation/rotation.py``). The repr never shows a byte.
    """

    rotations: tuple[bytes, ...]

    def __new__(cls, base: bytes, rotations: tuple[bytes, ...] = ()) -> Key:
        self = super().__new__(cls, base)
        self.rotations = tuple(rotations)
        return self

    def __repr__(self) -> str:
        return f"Key(<secret>, rotations={len(self.rotations)})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, bytes):
            return NotImplemented
        return bytes(self) == bytes(other) and tuple(getattr(other, "rotations", ())) == self.rotations

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash((bytes(self), self.rotations))


def load_key(path: Path) -> Key:
    """Read and check the key file at ``path``: the base key on its first line, a rotation key per line after."""
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
    keys = [_checked(path, line.strip()) for line in text.splitlines() if line.strip()]
    if not keys:
        raise KeyFileError(f"the pseudonymisation key at {path} is not hex-encoded")
    return Key(keys[0], tuple(keys[1:]))


def _checked(path: Path, text: str) -> bytes:
    if not _HEX.fullmatch(text) or len(text) % 2:
        raise KeyFileError(f"the pseudonymisation key at {path} is not hex-encoded")
    key = bytes.fromhex(text)
    if len(key) < KEY_BYTES:
        raise KeyFileError(
            f"the pseudonymisation key at {path} is too weak: {len(key)} bytes, at least {KEY_BYTES} are required"
        )
    return key


def new_rotation_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def write_rotated(path: Path, rotation: bytes) -> Path:
    """Write ``path``'s keys plus ``rotation`` to a new 0600 file beside it (``<name>.next``) and return it.

    The caller re-keys the store, then commits it and ``os.replace``s the file over the key: until then
    the old key file still matches the store.
    """
    path = Path(path)
    current = load_key(path)
    lines = [bytes(current).hex(), *(r.hex() for r in current.rotations), rotation.hex()]
    nxt = path.with_name(path.name + ".next")
    nxt.unlink(missing_ok=True)
    fd = os.open(nxt, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write("\n".join(lines) + "\n")
    return nxt
