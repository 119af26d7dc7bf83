"""Identifiers born on the device: UUIDv7 (time-ordered, so B-tree inserts stay local)."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)
