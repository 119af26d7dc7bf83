"""The registry of fiscal kinds: which model holds each kind, in which chain, and how its
hashed values are rebuilt from its stored rows.

An app registers its kinds in ``AppConfig.ready`` with :func:`register_kind` (the apps
that write the records sit above the journal, which imports none of them). A kind's
``values`` takes a stored record (its parts loaded by ``prefetch``) and gives the values
of its version 2 schema (:mod:`comptoir.fiscal.schemas`) from what is stored with the
record only (snapshots); ``legacy`` rebuilds the version 1 values, exactly as the
services built them before (documents only).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from comptoir.fiscal.schemas import SCHEMAS
from comptoir.stores.services import CHAIN_KIND

# The documents' chain: the head row it always had (``stores.services.CHAIN_KIND``).
DOCUMENTS = "doc"
MAX_CHAIN_NAME = 6  # the head's row kind, "j:" + name, fits SeriesCounter.kind


@dataclass(frozen=True)
class FiscalKind:
    kind: str  # a schema of comptoir.fiscal.schemas
    chain: str  # the chain it is linked in, per post
    model: type[models.Model]
    # The record's instant (attname): orders the version 1 records of a chain.
    instant: str
    values: Callable[[Any], dict[str, Any]]
    # Version 1: the candidate values (the verifier keeps the one the hash matches).
    legacy: Callable[[Any], list[dict[str, Any]]] | None = None
    prefetch: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    # What names a record to people (a document's number), if it has one.
    number: Callable[[Any], str] = lambda record: ""

    @property
    def label(self) -> str:
        return str(self.model._meta.label_lower)


_kinds: dict[str, FiscalKind] = {}


def register_kind(
    kind: str,
    *,
    chain: str,
    model: type[models.Model],
    instant: str,
    values: Callable[[Any], dict[str, Any]],
    **options: Any,
) -> None:
    if kind not in SCHEMAS:
        raise ValueError(f"no schema for fiscal kind {kind!r}")
    if not chain or len(chain) > MAX_CHAIN_NAME:
        raise ValueError(f"chain name {chain!r}: 1 to {MAX_CHAIN_NAME} characters")
    _kinds[kind] = FiscalKind(kind, chain, model, instant, values, **options)


def kind_get(kind: str) -> FiscalKind:
    try:
        return _kinds[kind]
    except KeyError:
        raise ValueError(f"unregistered fiscal kind: {kind!r}") from None


def kinds() -> list[FiscalKind]:
    return list(_kinds.values())


def kind_of_model(label: str) -> FiscalKind | None:
    return next((k for k in _kinds.values() if k.label == label), None)


def chains() -> dict[str, list[FiscalKind]]:
    """Each chain name with its kinds, in registration order."""
    out: dict[str, list[FiscalKind]] = {}
    for spec in _kinds.values():
        out.setdefault(spec.chain, []).append(spec)
    return out


def head_kind(chain: str) -> str:
    """The ``SeriesCounter.kind`` of a chain's head row."""
    return CHAIN_KIND if chain == DOCUMENTS else f"j:{chain}"
