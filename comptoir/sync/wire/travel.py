"""What travels: fact aggregates without what their root gives (protocol 2), the hub's
memory of the facts it served, and the current wire states of rows."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from typing import Any
from uuid import UUID

from comptoir.lib.ids import part_id
from comptoir.sync import registry
from comptoir.sync.wire.rows import fact_aggregates, reference_states


def compact(label: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """An aggregate's rows as they travel: what the receiver can derive is left out.

    In a part's row, left out are: its id when it is the one derived from the root's
    for its place in the list (:func:`comptoir.lib.ids.part_id`), the foreign key to
    the root, and any field whose value is that of the root's field of the same name
    (creation time, origin, store...). Parts with derived ids come first, in their
    order. :func:`expanded` puts it all back; rows written before ids were derived (or
    by hand) keep their ids.
    """
    spec = registry.fact_spec(label)
    assert spec is not None
    root = rows[label][0]
    root_id = UUID(root["id"])
    out = {label: [root]}
    for part_model, fk in spec.parts:
        part_label = registry.label_of(part_model)
        items = rows.get(part_label)
        if not items:
            continue
        derived = {str(part_id(root_id, part_label, n)): n for n in range(len(items))}
        ordered = sorted(items, key=lambda row: (derived.get(row["id"], len(items)), row["id"]))
        short = []
        for n, row in enumerate(ordered):
            kept = {
                name: value
                for name, value in row.items()
                if name != fk and not _inherited(root, name, value)
            }
            if derived.get(row["id"]) == n:
                del kept["id"]
            short.append(kept)
        out[part_label] = short
    return out


def _inherited(root: dict[str, Any], name: str, value: Any) -> bool:
    if name == "id" or name not in root:
        return False
    other = root[name]
    return type(other) is type(value) and other == value


def expanded(
    raw: dict[str, Any],
    root: dict[str, Any],
    root_id: UUID,
    spec: registry.FactSpec,
    fk: str,
    n: int,
) -> dict[str, Any]:
    """A part's row as :func:`compact` sent it, whole again: ``raw`` is the ``n``-th row of
    ``spec``'s model in the aggregate of ``root`` (a root row whose id, ``root_id``, was
    checked)."""
    row = dict(raw)
    if "id" not in row:
        row["id"] = str(part_id(root_id, spec.label, n))
    row.setdefault(fk, root["id"])
    for attname in spec.fields:
        if attname not in row and attname in root:
            row[attname] = root[attname]
    return row


def wire_aggregates(label: str, ids: list[UUID]) -> dict[UUID, dict[str, Any]]:
    """:func:`fact_aggregates` in their travelling form (:func:`compact`)."""
    return {
        pk: {"rows": compact(label, data["rows"])}
        for pk, data in fact_aggregates(label, ids).items()
    }


class FactCache:
    """Wire forms of fact aggregates already read, the most recently used kept.

    A fact never changes once written, so the copy read for one puller serves the
    others: on a hub, a sale wakes every till of its store at once, and each pulls it.
    The first to ask reads it; the others, arriving meanwhile, wait for that read rather
    than repeat it. Off by default (a served hub turns it on, see ``comptoir.asgi``); the
    returned dicts are shared and must not be changed.
    """

    WAIT = 5.0  # seconds to wait for another request's read before reading oneself

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self.enabled = False
        self._items: OrderedDict[tuple[str, UUID], dict[str, Any]] = OrderedDict()
        self._loading: dict[tuple[str, UUID], threading.Event] = {}
        self._lock = threading.Lock()

    def aggregates(self, label: str, rows: list[UUID]) -> dict[UUID, dict[str, Any]]:
        """:func:`wire_aggregates`, from memory where another request read them."""
        if not self.enabled:
            return wire_aggregates(label, rows)
        found: dict[UUID, dict[str, Any]] = {}
        mine: list[UUID] = []
        theirs: list[tuple[UUID, threading.Event]] = []
        with self._lock:
            for row in rows:
                key = (label, row)
                data = self._items.get(key)
                if data is not None:
                    self._items.move_to_end(key)
                    found[row] = data
                elif key in self._loading:
                    theirs.append((row, self._loading[key]))
                else:
                    self._loading[key] = threading.Event()
                    mine.append(row)
        try:
            read = wire_aggregates(label, mine) if mine else {}
            found.update(read)
            with self._lock:
                for row, data in read.items():
                    self._items[(label, row)] = data
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        finally:
            with self._lock:
                for row in mine:
                    self._loading.pop((label, row)).set()
        missed = []
        for row, event in theirs:
            event.wait(self.WAIT)
            with self._lock:
                data = self._items.get((label, row))
            if data is None:
                missed.append(row)  # their read failed, or it is not there
            else:
                found[row] = data
        if missed:
            found.update(wire_aggregates(label, missed))
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


fact_cache = FactCache()


def states(pairs: list[tuple[str, UUID]]) -> dict[tuple[str, UUID], tuple[str, dict[str, Any]]]:
    """Current wire states of (model label, row id) pairs: (kind, data) per pair found."""
    by_label: dict[str, list[UUID]] = defaultdict(list)
    for label, row in pairs:
        by_label[label].append(row)
    out: dict[tuple[str, UUID], tuple[str, dict[str, Any]]] = {}
    for label, rows in by_label.items():
        if registry.reference_spec(label):
            for row, data in reference_states(label, rows).items():
                out[(label, row)] = ("reference", data)
        elif registry.fact_spec(label):
            for row, data in fact_cache.aggregates(label, rows).items():
                out[(label, row)] = ("fact", data)
    return out
