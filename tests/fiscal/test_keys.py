"""A post's signing key: made once, readable by its user only, clear errors when damaged."""

from __future__ import annotations

import base64
import os
import stat
import sys
from pathlib import Path

import pytest

from comptoir.fiscal.errors import KeyFileError
from comptoir.fiscal.keys import (
    KEY_FILE,
    key_create,
    key_id,
    key_load,
    public_key_from_text,
    public_key_raw,
    public_key_text,
    sign,
    signature_valid,
)


def test_a_key_written_then_loaded_signs_what_its_public_key_verifies(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    made = key_create(path)
    loaded = key_load(path)
    assert public_key_raw(loaded.public_key()) == public_key_raw(made.public_key())
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    public = public_key_from_text(public_key_text(made.public_key()))
    signature = sign(loaded, b"Z du 29 mars")
    assert signature_valid(public, b"Z du 29 mars", signature)
    assert not signature_valid(public, b"Z du 30 mars", signature)
    assert not signature_valid(public, b"Z du 29 mars", None)
    assert not signature_valid(public, b"Z du 29 mars", "pas du base64 !")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes; Windows uses icacls")
def test_the_key_file_is_readable_by_its_user_only_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)  # the widest umask: the mode must still be 0600
    try:
        key_create(tmp_path / KEY_FILE)
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_an_existing_key_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    key_create(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="existe déjà"):
        key_create(path)
    assert path.read_bytes() == before


def test_a_missing_key_file_is_a_clear_french_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="introuvable"):
        key_load(tmp_path / KEY_FILE)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"ceci n'est pas une cle",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        b"x" * 100_000,
    ],
    ids=["empty", "text", "truncated PEM", "huge"],
)
def test_a_damaged_key_file_is_a_clear_french_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(content)
    with pytest.raises(KeyFileError, match="endommagée"):
        key_load(path)


def test_a_key_of_another_algorithm_is_refused(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (tmp_path / KEY_FILE).write_bytes(other)
    with pytest.raises(KeyFileError, match="Ed25519"):
        key_load(tmp_path / KEY_FILE)


def test_an_unreadable_key_file_is_a_clear_french_error(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.mkdir()  # unreadable as a file, even for root (chmod 0 is not)
    with pytest.raises(KeyFileError, match="illisible"):
        key_load(path)


def test_the_public_key_is_a_short_text_with_a_16_hex_id(tmp_path: Path) -> None:
    key = key_create(tmp_path / KEY_FILE).public_key()
    text = public_key_text(key)
    assert len(base64.b64decode(text)) == 32
    assert len(text) == 44
    assert len(key_id(key)) == 16
    assert int(key_id(key), 16) >= 0
    assert key_id(public_key_from_text(text)) == key_id(key)


@pytest.mark.parametrize("text", ["", "AAAA", "é" * 44, base64.b64encode(b"x" * 33).decode()])
def test_a_bad_public_key_text_is_a_clear_french_error(text: str) -> None:
    with pytest.raises(KeyFileError, match="Clé publique invalide"):
        public_key_from_text(text)
