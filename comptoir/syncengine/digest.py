"""Digests of synced (and derived) data, so that "are we identical?" has an exact answer.

For a store's point of view: every reference row, the fact aggregates of that store,
and the derived rows of that store. Each row (or whole aggregate) hashes to a SHA-256 of
its canonical JSON; a model's digest hashes the sorted (key, row hash) pairs. Comparing
model digests finds what differs; comparing row hashes finds which rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from comptoir.sync import registry, wire

CHUNK = 2000


def _hash(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _reference_rows(spec: registry.ReferenceSpec) -> Iterator[tuple[str, str]]:
    for obj in spec.model._default_manager.order_by("pk").iterator(chunk_size=CHUNK):
        yield str(obj.pk), _hash(wire.row_to_wire(obj, spec.fields))


def _fact_rows(spec: registry.FactSpec, store_id: UUID | None) -> Iterator[tuple[str, str]]:
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
            yield str(root_id), _hash(_sorted_rows(data["rows"]))


def _sorted_rows(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {label: sorted(items, key=lambda r: str(r["id"])) for label, items in rows.items()}


def _derived_rows(spec: registry.DerivedSpec, store_id: UUID | None) -> Iterator[tuple[str, str]]:
    qs = spec.model._default_manager.all()
    if store_id is not None:
        qs = qs.filter(**{spec.store_attname: store_id})
    for values in qs.values_list(*spec.key, *spec.values).iterator(chunk_size=CHUNK):
        key = "|".join(str(v) for v in values[: len(spec.key)])
        yield key, _hash([wire.to_wire(v) for v in values[len(spec.key) :]])


def row_hashes(label: str, store_id: UUID | None) -> dict[str, str]:
    """Key -> hash of every row of one model, as seen by a node of ``store_id``."""
    if (ref := registry.reference_spec(label)) is not None:
        return dict(_reference_rows(ref))
    if (fact := registry.fact_spec(label)) is not None:
        return dict(_fact_rows(fact, store_id))
    if (derived := registry.derived_spec(label)) is not None:
        return dict(_derived_rows(derived, store_id))
    raise KeyError(label)


def compared_labels() -> list[str]:
    roots = {s.label for s in registry.fact_roots()}
    return (
        [s.label for s in registry.references()]
        + [s.label for s in registry.facts() if s.label in roots]
        + [s.label for s in registry.derived()]
    )


def digests(store_id: UUID | None) -> dict[str, dict[str, Any]]:
    """Per model: row count and digest."""
    out = {}
    for label in compared_labels():
        rows = row_hashes(label, store_id)
        out[label] = {"count": len(rows), "digest": _hash(sorted(rows.items()))}
    return out


def differences(local: dict[str, str], remote: dict[str, str]) -> dict[str, list[str]]:
    """Keys only here, only there, and present on both sides with different content."""
    return {
        "only_here": sorted(set(local) - set(remote)),
        "only_hub": sorted(set(remote) - set(local)),
        "different": sorted(k for k in set(local) & set(remote) if local[k] != remote[k]),
    }
