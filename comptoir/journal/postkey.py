"""This post's signing key: the file ``fiscal-key.pem`` of its home (:mod:`comptoir.fiscal.keys`).

Made at ``init``; a home made before the fiscal journal gets its key at the first
record it signs (written once, never replaced: ``O_EXCL``), and the hub learns it at
the next ``node reenroll``. Without a home (tests, tools), each node id has a key kept in
memory for the life of the process.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from comptoir.fiscal.errors import KeyFileError
from comptoir.fiscal.keys import (
    KEY_FILE,
    key_create,
    key_generate,
    key_id,
    key_load,
    public_key_from_text,
    public_key_text,
)
from comptoir.stores.models import Till

_loaded: dict[str, Ed25519PrivateKey] = {}


def key_path() -> Path | None:
    home = settings.COMPTOIR_HOME
    return Path(home) / KEY_FILE if home else None


def post_key() -> Ed25519PrivateKey:
    """This post's private key (made when missing, see the module docstring)."""
    path = key_path()
    if path is None:
        node = str(settings.COMPTOIR_NODE_ID)
        if node not in _loaded:
            _loaded[node] = key_generate()
        return _loaded[node]
    cached = _loaded.get(str(path))
    if cached is not None:
        return cached
    if path.exists():
        key = key_load(path)
    else:
        try:
            key = key_create(path)
        except KeyFileError:
            if not path.exists():
                raise
            key = key_load(path)  # another process made it first
    _loaded[str(path)] = key
    return key


def post_public_text() -> tuple[str, str]:
    """This post's public key as text, and its key id: what the hub registers."""
    public = post_key().public_key()
    return public_key_text(public), key_id(public)


def till_public_key(till: Till) -> Ed25519PublicKey | None:
    """The key a till's records verify with: this post's own for its own till, else the
    one registered on the till (``None`` when none is)."""
    if till.node_id and till.node_id == str(settings.COMPTOIR_NODE_ID):
        return post_key().public_key()
    if not till.public_key:
        return None
    try:
        return public_key_from_text(till.public_key)
    except KeyFileError:
        return None
