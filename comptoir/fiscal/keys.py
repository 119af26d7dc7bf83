"""A post's Ed25519 key pair: the **security** condition, and what makes a chain provable.

Each post (a till, or the hub's web till) signs its fiscal records with its own private
key, made once at ``init`` and kept in its home, readable by its user only; the hub
keeps every post's public key (as a short text, :func:`public_key_text`) and checks
each record's signature on arrival. A record altered anywhere but on its post, or made
up elsewhere, then fails its signature (**inalterability**).

File permissions: on POSIX the file is created with mode 0600 (``os.open``, so it never
exists with wider rights). On Windows its ACL is reduced to the current user with
``icacls`` before the key is written into it; that path cannot be tested here.
"""

from __future__ import annotations

import base64
import binascii
import getpass
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.utils.translation import gettext as _

from comptoir.fiscal.errors import KeyFileError

# The key's file name in a post's home.
KEY_FILE = "fiscal-key.pem"
# Refuse a "key file" larger than this: a PKCS8 PEM Ed25519 key is 119 bytes.
MAX_KEY_FILE = 4096


def key_generate() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _restrict_to_user_windows(path: Path) -> None:
    """Windows: remove inherited rights and grant full control to the current user only."""
    try:
        subprocess.run(
            ["icacls", str(path), "/inheritance:r", "/grant:r", f"{getpass.getuser()}:F"],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        raise KeyFileError(
            _("Impossible de réserver la clé de signature %(path)s à l'utilisateur : %(error)s.")
            % {"path": path, "error": exc}
        ) from None


def key_write(path: Path, key: Ed25519PrivateKey) -> None:
    """Write ``key`` (PKCS8 PEM, no password) to a NEW file readable by the user only.

    An existing file is never overwritten: a post's key is made once, and replacing it
    would make every record it signed unverifiable.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    except FileExistsError:
        raise KeyFileError(
            _("La clé de signature %(path)s existe déjà : elle n'est jamais remplacée.")
            % {"path": path}
        ) from None
    except OSError as exc:
        raise KeyFileError(
            _("Impossible d'écrire la clé de signature %(path)s : %(error)s.")
            % {"path": path, "error": exc.strerror or exc}
        ) from None
    try:
        if sys.platform == "win32":
            os.close(fd)
            _restrict_to_user_windows(path)
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def key_create(path: Path) -> Ed25519PrivateKey:
    """Generate a post's key and write it to ``path`` (which must not exist)."""
    key = key_generate()
    key_write(path, key)
    return key


def key_load(path: Path) -> Ed25519PrivateKey:
    """The private key stored at ``path``; a clear error if it is missing or damaged."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise KeyFileError(
            _("La clé de signature du poste est introuvable : %(path)s.") % {"path": path}
        ) from None
    except OSError as exc:
        raise KeyFileError(
            _("La clé de signature %(path)s est illisible : %(error)s.")
            % {"path": path, "error": exc.strerror or exc}
        ) from None
    damaged = KeyFileError(
        _("La clé de signature %(path)s est endommagée : ce n'est pas une clé Ed25519.")
        % {"path": path}
    )
    if len(data) > MAX_KEY_FILE:
        raise damaged
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise damaged from None
    if not isinstance(key, Ed25519PrivateKey):
        raise damaged
    return key


def public_key_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_text(key: Ed25519PublicKey) -> str:
    """The public key as a short text (base64 of its 32 raw bytes): what the hub keeps."""
    return base64.b64encode(public_key_raw(key)).decode("ascii")


def public_key_from_text(text: str) -> Ed25519PublicKey:
    """The public key written by :func:`public_key_text`; a clear error for anything else."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
        if len(raw) != 32:
            raise ValueError(len(raw))
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError, TypeError, AttributeError):
        raise KeyFileError(_("Clé publique invalide : 32 octets en base64 attendus.")) from None


def key_id(key: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    """The signature of ``message`` as base64 text (64 bytes)."""
    return base64.b64encode(key.sign(message)).decode("ascii")


def signature_valid(key: Ed25519PublicKey, message: bytes, signature: str | None) -> bool:
    """Whether ``signature`` (base64, as :func:`sign` writes it) signs ``message``."""
    if not signature:
        return False
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, message)
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True
