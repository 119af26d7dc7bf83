"""Building wire changes and traces for the sync tests."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.db import models

from comptoir.sync import registry, wire
from comptoir.sync.hlc import Timestamp
from comptoir.sync.models import ChangeLog, OutboxEntry
from comptoir.syncengine.protocol import (
    FactChange,
    FactData,
    ReferenceChange,
    ReferenceData,
)


def reference_change(obj: models.Model, **edits: Any) -> ReferenceChange:
    """The wire change carrying ``obj``'s current state, with ``edits`` (attname -> value)."""
    label = registry.label_of(obj)
    state = copy.deepcopy(wire.reference_states(label, [obj.pk])[obj.pk])
    for attname, value in edits.items():
        state["fields"][attname] = wire.to_wire(value)
    return ReferenceChange(
        id=str(uuid.uuid4()), model=label, row=str(obj.pk), data=ReferenceData(**state)
    )


def stamp(wall_ms: int, node: str, counter: int = 0) -> str:
    return Timestamp(wall_ms, counter, node).encode()


def fact_change(label: str, root_id: uuid.UUID, data: dict[str, Any]) -> FactChange:
    rows = copy.deepcopy(data["rows"])
    return FactChange(id=str(uuid.uuid4()), model=label, row=str(root_id), data=FactData(rows))


def traces() -> list[tuple[str, str, str | None]]:
    """Change-log entries (hub role) as (model, row id, store id), in sequence order."""
    return [
        (m, str(r), None if s is None else str(s))
        for m, r, s in ChangeLog.objects.order_by("seq").values_list("model", "row_id", "store_id")
    ]


def outbox() -> list[tuple[str, str]]:
    return [
        (m, str(r)) for m, r in OutboxEntry.objects.order_by("seq").values_list("model", "row_id")
    ]
