"""Identifiers born on the device: UUIDv7 (time-ordered, so B-tree inserts stay local)."""

from __future__ import annotations

import hashlib
import uuid

import uuid6


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)


def part_id(root: uuid.UUID, label: str, n: int) -> uuid.UUID:
    """The id of the ``n``-th part of one kind (model ``label``) of a fact aggregate.

    Derived from the root's id, so that the wire need not carry it (the receiver derives
    it again, see ``comptoir.sync.wire.compact``): the root's first 64 bits (a UUIDv7's
    time, version and ``rand_a``, so parts sort beside their root in the B-tree), then
    the variant and 62 bits of a BLAKE2b hash of (root, label, n).
    """
    digest = hashlib.blake2b(b"%s/%s/%d" % (root.bytes, label.encode(), n), digest_size=8).digest()
    return uuid.UUID(bytes=root.bytes[:8] + bytes([0x80 | digest[0] & 0x3F]) + digest[1:])
