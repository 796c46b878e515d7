"""Key file creation and checked loading; errors name the file, never the key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pseudonymisation.keys import KeyFileError, load_key, new_key


def test_new_key_writes_64_hex_chars_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "nested" / "pseudonymisation.key"
    new_key(path)
    text = path.read_text()
    assert text.endswith("\n") and len(text) == 65
    int(text, 16)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path) == bytes.fromhex(text.strip())


def test_new_key_is_random(tmp_path: Path) -> None:
    new_key(tmp_path / "a.key")
    new_key(tmp_path / "b.key")
    assert load_key(tmp_path / "a.key") != load_key(tmp_path / "b.key")


def test_new_key_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    new_key(path)
    before = path.read_text()
    with pytest.raises(KeyFileError, match="already exists"):
        new_key(path)
    assert path.read_text() == before


def test_new_key_ignores_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        new_key(tmp_path / "k.key")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.key").stat().st_mode) == 0o600


def _write(path: Path, content: str, mode: int = 0o600) -> Path:
    path.write_text(content)
    path.chmod(mode)
    return path


def test_missing_key_names_path_and_command(tmp_path: Path) -> None:
    path = tmp_path / "absent.key"
    with pytest.raises(KeyFileError) as err:
        load_key(path)
    assert str(path) in str(err.value) and "abord key new" in str(err.value)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_key_readable_by_others_is_refused_without_leaking_it(tmp_path: Path, mode: int) -> None:
    secret = "ab" * 32
    path = _write(tmp_path / "k.key", secret + "\n", mode)
    with pytest.raises(KeyFileError) as err:
        load_key(path)
    message = str(err.value)
    assert str(path) in message and "chmod 600" in message
    assert secret not in message and secret not in repr(err.value)


@pytest.mark.parametrize(
    "content",
    [
        "zz" * 32,  # not hex
        "abc",  # odd length
        "not a key at all but a very long sentence that is definitely not hex",
        "",
    ],
)
def test_non_hex_key_is_refused_without_leaking_it(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path / "k.key", content)
    with pytest.raises(KeyFileError, match="not hex-encoded") as err:
        load_key(path)
    assert err.value.__cause__ is None and err.value.__context__ is None
    if content:
        assert content not in str(err.value)


def test_weak_key_is_refused_without_leaking_it(tmp_path: Path) -> None:
    weak = "0123456789abcdef" * 2  # 16 bytes
    path = _write(tmp_path / "k.key", weak + "\n")
    with pytest.raises(KeyFileError, match="too weak: 16 bytes") as err:
        load_key(path)
    assert weak not in str(err.value)


def test_non_ascii_content_is_refused_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    path.write_bytes("clé secrète".encode() * 8)
    path.chmod(0o600)
    with pytest.raises(KeyFileError) as err:
        load_key(path)
    assert "secr" not in str(err.value) and err.value.__context__ is None


def test_longer_key_and_upper_case_hex_are_accepted(tmp_path: Path) -> None:
    path = _write(tmp_path / "k.key", "AB" * 48 + "\n")
    assert load_key(path) == b"\xab" * 48


def test_directory_is_not_a_key(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="not a regular file"):
        load_key(tmp_path)
