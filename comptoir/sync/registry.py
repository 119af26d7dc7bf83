"""Which models are synced and how: apps declare, the engine applies.

- ``reference``: per-field last-writer-wins on hybrid logical clocks (``ReferenceModel``).
- ``fact``: immutable aggregates, inserted once by id. A fact model is either an
  aggregate root (an invoice, a standalone stock movement) or a part of one (an invoice
  line); :attr:`FactSpec.root_of` tells which root a row belongs to.
Derived tables are registered for ``verify`` only: each side recomputes them in
``FactSpec.on_apply_many``. An app that derives data from another app's facts (stock
levels and statistics from sales documents) adds its upkeep with
:func:`register_derivation`; the app that writes the facts runs them all with
:func:`derive`, locally and on arrival alike, without importing the apps above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from django.db import models

Root = tuple[str, UUID]
# An aggregate just inserted: its root and its parts, by model.
Applied = tuple[Any, dict[type[models.Model], list[Any]]]


def label_of(model: type[models.Model] | models.Model) -> str:
    return str(model._meta.label_lower)


@dataclass(frozen=True)
class ReferenceSpec:
    model: type[models.Model]
    label: str
    fields: tuple[str, ...]  # attnames merged field by field
    # Hub-side authorisation of a node's change: a refusal reason, or None. Gets (node
    # till, stored row or None for a new one, the attnames the change would set).
    authorize: Callable[[Any, Any, set[str]], str | None] | None = None


@dataclass(frozen=True)
class FactSpec:
    model: type[models.Model]
    label: str
    fields: tuple[str, ...]
    # For a root: its parts, as (model, attname of the foreign key to the root).
    parts: tuple[tuple[type[models.Model], str], ...] = ()
    # For a part (or a model that is a root only sometimes): the root of a row, or None.
    part_of: Callable[[Any], Root | None] | None = None
    # The store a root belongs to (routing and authorisation), from its row.
    store_attname: str | None = None
    # True for models that only ever exist inside an aggregate (invoice lines).
    part_only: bool = False
    # Upkeep of derived data (stock levels, statistics) once aggregates were inserted,
    # each given as (root, parts by model): one set-wise update per derived table. The
    # one function per rule: the local write that made the aggregate calls it too.
    on_apply_many: Callable[[list[Applied]], None] | None = None
    # False for aggregates whose upkeep reads the facts stored around them (a count
    # restarts its level from the movements after it, which a batch's movement upkeep
    # would then add again): they are applied one by one, after the batch.
    batchable: bool = True
    # Hub-side authorisation: a refusal reason, or None. Gets (node till, root row).
    authorize: Callable[[Any, Any], str | None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def root_of(self, obj: Any) -> Root:
        if self.part_of is not None:
            root = self.part_of(obj)
            if root is not None:
                return root
        return self.label, obj.pk


@dataclass(frozen=True)
class DerivedSpec:
    """A derived table: never sent, but compared by ``verify`` for a store."""

    model: type[models.Model]
    label: str
    key: tuple[str, ...]
    values: tuple[str, ...]
    store_attname: str


Derivation = Callable[[list[Applied]], None]

_references: dict[str, ReferenceSpec] = {}
_derivations: dict[str, list[Derivation]] = {}
_derived: dict[str, DerivedSpec] = {}
_facts: dict[str, FactSpec] = {}


def _sync_fields(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        # updated_at is each side's own bookkeeping: merging it would log a "conflict"
        # on every edit.
        if f.attname not in ("id", "sync_clocks", "updated_at")
    )


def register_reference(
    model: type[models.Model],
    *,
    authorize: Callable[[Any, Any, set[str]], str | None] | None = None,
) -> None:
    label = label_of(model)
    _references[label] = ReferenceSpec(model, label, _sync_fields(model), authorize)


def register_fact(model: type[models.Model], **options: Any) -> None:
    label = label_of(model)
    _facts[label] = FactSpec(model=model, label=label, fields=_sync_fields(model), **options)


def reference_spec(label: str) -> ReferenceSpec | None:
    return _references.get(label)


def fact_spec(label: str) -> FactSpec | None:
    return _facts.get(label)


def is_synced(label: str) -> bool:
    return label in _references or label in _facts


def references() -> list[ReferenceSpec]:
    return list(_references.values())


def facts() -> list[FactSpec]:
    return list(_facts.values())


def fact_roots() -> list[FactSpec]:
    """Fact models that can be aggregate roots (a stock movement can; a line cannot)."""
    return [s for s in _facts.values() if not s.part_only]


def parent_links(spec: FactSpec) -> list[str]:
    """The foreign keys that make rows of ``spec`` parts of another aggregate."""
    return [fk for other in _facts.values() for model, fk in other.parts if model is spec.model]


def register_derived(
    model: type[models.Model],
    *,
    key: tuple[str, ...],
    values: tuple[str, ...],
    store_attname: str = "store_id",
) -> None:
    label = label_of(model)
    _derived[label] = DerivedSpec(model, label, key, values, store_attname)


def derived_spec(label: str) -> DerivedSpec | None:
    return _derived.get(label)


def derived() -> list[DerivedSpec]:
    return list(_derived.values())


def register_derivation(label: str, derivation: Derivation) -> None:
    """Keep derived data up to date once aggregates of the fact model ``label`` (its root)
    were inserted; called in registration order (the order of ``INSTALLED_APPS``)."""
    hooks = _derivations.setdefault(label, [])
    if derivation not in hooks:
        hooks.append(derivation)


def derive(label: str, items: list[Applied]) -> None:
    """Run the derivations registered for new aggregates of ``label``, each given as
    (root, parts by model), in the transaction that inserted them."""
    for derivation in _derivations.get(label, ()):
        derivation(items)


@dataclass(frozen=True)
class Naming:
    """How a synced model is named to a shop owner when a sync is described."""

    label: str
    # "%(n)d facture" / "%(n)d factures" for a count: an ``ngettext`` call, evaluated
    # in the language of the moment.
    phrase: Callable[[int], str]
    # The reading order: the lower first (documents, then stock, then the catalogue).
    rank: int
    # True for rows that also travel inside other aggregates (a sale's stock movements):
    # they are counted there too, one per row.
    counted_in_parts: bool = False


_namings: dict[str, Naming] = {}


def register_naming(
    model: type[models.Model],
    phrase: Callable[[int], str],
    *,
    rank: int,
    counted_in_parts: bool = False,
) -> None:
    label = label_of(model)
    _namings[label] = Naming(label, phrase, rank, counted_in_parts)


def namings() -> list[Naming]:
    """The named models, in reading order (the others are counted as "other data")."""
    return sorted(_namings.values(), key=lambda n: n.rank)
