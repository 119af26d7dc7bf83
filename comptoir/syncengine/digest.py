"""Digests of synced (and derived) data, so that "are we identical?" has an exact answer.

For a store's point of view: every reference row, the fact aggregates of that store,
and the derived rows of that store. Each row (or whole aggregate) hashes to a SHA-256 of
its canonical JSON; a model's digest hashes the sorted (key, row hash) pairs. Comparing
model digests finds what differs; comparing row hashes finds which rows.

For a post of the previous schema, the hub hashes what that post holds: the models and
fields of its schema (``known``, a :class:`~comptoir.syncengine.schemas.Shape`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from comptoir.sync import registry, wire
from comptoir.syncengine.schemas import Shape

CHUNK = 2000


def _hash(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _reference_rows(
    spec: registry.ReferenceSpec, known: Shape | None = None
) -> Iterator[tuple[str, str]]:
    fields = known.fields[spec.label] if known is not None else spec.fields
    for obj in spec.model._default_manager.order_by("pk").iterator(chunk_size=CHUNK):
        yield str(obj.pk), _hash(wire.row_to_wire(obj, fields))


def _known_rows(rows: dict[str, list[dict[str, Any]]], known: Shape) -> dict[str, Any]:
    """An aggregate's rows as a post of ``known``'s schema holds them."""
    out = {}
    for label, items in rows.items():
        if label in known.fields:
            names = {"id", *known.fields[label]}
            out[label] = [{k: v for k, v in row.items() if k in names} for row in items]
    return out


def _fact_rows(
    spec: registry.FactSpec, store_id: UUID | None, known: Shape | None = None
) -> Iterator[tuple[str, str]]:
    roots = spec.model._default_manager.order_by("pk")
    # A model that is a root only sometimes (stock movements): its standalone rows here;
    # the others are hashed inside their aggregate.
    roots = roots.filter(**dict.fromkeys(registry.parent_links(spec)))
    if store_id is not None and spec.store_attname:
        roots = roots.filter(**{spec.store_attname: store_id})
    ids = list(roots.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for root_id, data in wire.fact_aggregates(spec.label, chunk).items():
            rows = data["rows"] if known is None else _known_rows(data["rows"], known)
            yield str(root_id), _hash(_sorted_rows(rows))


def _sorted_rows(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {label: sorted(items, key=lambda r: str(r["id"])) for label, items in rows.items()}


def _derived_rows(
    spec: registry.DerivedSpec, store_id: UUID | None, known: Shape | None = None
) -> Iterator[tuple[str, str]]:
    qs = spec.model._default_manager.all()
    if store_id is not None:
        qs = qs.filter(**{spec.store_attname: store_id})
    values_of = known.derived[spec.label] if known is not None else spec.values
    for values in qs.values_list(*spec.key, *values_of).iterator(chunk_size=CHUNK):
        key = "|".join(str(v) for v in values[: len(spec.key)])
        yield key, _hash([wire.to_wire(v) for v in values[len(spec.key) :]])


def row_hashes(label: str, store_id: UUID | None, known: Shape | None = None) -> dict[str, str]:
    """Key -> hash of every row of one model, as seen by a node of ``store_id`` (of the
    schema ``known``, when it is the previous one)."""
    if known is not None and not known.knows(label):
        raise KeyError(label)
    if (ref := registry.reference_spec(label)) is not None:
        return dict(_reference_rows(ref, known))
    if (fact := registry.fact_spec(label)) is not None:
        return dict(_fact_rows(fact, store_id, known))
    if (derived := registry.derived_spec(label)) is not None:
        return dict(_derived_rows(derived, store_id, known))
    raise KeyError(label)


def compared_labels(known: Shape | None = None) -> list[str]:
    roots = {s.label for s in registry.fact_roots()}
    labels = (
        [s.label for s in registry.references()]
        + [s.label for s in registry.facts() if s.label in roots]
        + [s.label for s in registry.derived()]
    )
    return labels if known is None else [label for label in labels if known.knows(label)]


def digests(store_id: UUID | None, known: Shape | None = None) -> dict[str, dict[str, Any]]:
    """Per model: row count and digest."""
    out = {}
    for label in compared_labels(known):
        rows = row_hashes(label, store_id, known)
        out[label] = {"count": len(rows), "digest": _hash(sorted(rows.items()))}
    return out


def differences(local: dict[str, str], remote: dict[str, str]) -> dict[str, list[str]]:
    """Keys only here, only there, and present on both sides with different content."""
    return {
        "only_here": sorted(set(local) - set(remote)),
        "only_hub": sorted(set(remote) - set(local)),
        "different": sorted(k for k in set(local) & set(remote) if local[k] != remote[k]),
    }
