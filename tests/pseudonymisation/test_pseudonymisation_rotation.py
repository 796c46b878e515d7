"""Key rotation: the onion key file, and stored values re-keyed to exactly what the extended key computes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pseudonymisation import bloom
from pseudonymisation.keys import Key, KeyFileError, load_key, new_key, new_rotation_key, write_rotated
from pseudonymisation.link_keys import Identity, keyed_hash, link_keys, record_key, rotate_digest
from pseudonymisation.probabilistic import encode_identity
from pseudonymisation.rotation import rotate_encoding

BASE = bytes(range(32))
R1, R2 = bytes(range(1, 33)), bytes(range(2, 34))
MARIE = Identity(given_name="Marie", family_name="Dupont", birth_date="1975-03-12", sex="F", nir=None,
                 phone="06 12 34 56 78", email="marie@exemple.fr")  # fmt: skip


def test_a_rotated_key_wraps_every_digest_in_order() -> None:
    plain = keyed_hash(BASE, "nir", "x")
    assert keyed_hash(Key(BASE, (R1,)), "nir", "x") == rotate_digest(R1, plain)
    assert keyed_hash(Key(BASE, (R1, R2)), "nir", "x") == rotate_digest(R2, rotate_digest(R1, plain))
    rotated = Key(BASE, (R1,))
    assert sorted(rotate_digest(R1, k) for k in link_keys(BASE, MARIE)) == link_keys(rotated, MARIE)
    assert record_key(rotated, "s", "1") == rotate_digest(R1, record_key(BASE, "s", "1"))


def test_rotated_encodings_equal_encodings_under_the_rotated_key() -> None:
    before = encode_identity(BASE, MARIE)
    after = encode_identity(Key(BASE, (R1,)), MARIE)
    assert before is not None and after is not None
    assert rotate_encoding(R1, before) == after and rotate_encoding(R1, before).blocks == after.blocks
    assert after.given != before.given  # the filter's bits moved...
    typo = encode_identity(BASE, Identity(given_name="Marie", family_name="Dupond", birth_date="1975-03-12"))
    assert typo is not None
    rotated_typo = rotate_encoding(R1, typo)
    # ...and Dice between two rotated filters is what it was before.
    assert bloom.dice(after.family, rotated_typo.family) == bloom.dice(before.family, typo.family)


def test_key_file_holds_base_then_rotations(tmp_path: Path) -> None:
    path = tmp_path / "abord.key"
    new_key(path)
    base = load_key(path)
    assert base.rotations == ()
    rotation = new_rotation_key()
    pending = write_rotated(path, rotation)
    assert stat.S_IMODE(pending.stat().st_mode) == 0o600
    assert load_key(path) == base  # untouched until the caller replaces it
    pending.replace(path)
    rotated = load_key(path)
    assert bytes(rotated) == bytes(base) and rotated.rotations == (rotation,) and rotated != base
    assert rotation.hex() not in repr(rotated) and bytes(base).hex() not in repr(rotated)


def test_a_weak_rotation_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "abord.key"
    new_key(path)
    with path.open("a") as handle:
        handle.write("abcd\n")
    with pytest.raises(KeyFileError, match="too weak") as caught:
        load_key(path)
    assert "abcd" not in str(caught.value)
