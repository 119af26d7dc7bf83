"""Bootstrap from a snapshot (DESIGN § 4): the current state of everything a node sees,
then pulls from the log sequence read before it.

Hub side (:func:`snapshot_page`): every reference row and the fact aggregates of the
node's store (what ``verify`` compares), paged by model and id, whole aggregates, a
model after the models it points to. The first page carries ``head``: the log sequence
of the node's ordering domain read *before* any row (``hub.log_head``). A row that
changes while the snapshot is taken has a log entry above it: the pulls that follow
serve it again.

Node side (:func:`bootstrap`): a node behind the log's cut (a pull answers 410) or a new
one (cursor 0) applies the pages with the code that applies pulls (reference rows merge
by clocks, facts insert once: its unsent changes stay, and are pushed after). Each page
is applied with where the next one starts, in one transaction (``SyncState``): a crash
goes on from there. The pull cursor moves to ``head`` only with the last page.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from comptoir.sync import registry, wire
from comptoir.sync.clock import state_locked
from comptoir.sync.models import NodeCredential, SyncState
from comptoir.syncengine.compaction import cut_for
from comptoir.syncengine.hub import MAX_PAGE_FACTS, log_head
from comptoir.syncengine.protocol import Change, ProtocolError, Snapshot, change_of

SNAPSHOT_NAMESPACE = uuid.UUID("0b4f3a52-6d1e-4c8b-9a7f-5e2d1c0b9a88")
PAGE_ROWS = 2000


@functools.cache
def snapshot_labels() -> tuple[str, ...]:
    """Reference models, then fact roots; each after the synced models it points to
    (registration order otherwise)."""
    labels = [s.label for s in registry.references()] + [s.label for s in registry.fact_roots()]
    models = {label: _model(label) for label in labels}
    needs: dict[str, set[str]] = {}
    for label, model in models.items():
        targets = {
            registry.label_of(f.related_model)
            for f in model._meta.concrete_fields
            if f.is_relation and isinstance(f.related_model, type)
        }
        needs[label] = {t for t in targets if t in models and t != label}
    ordered: list[str] = []
    while len(ordered) < len(labels):
        ready = [
            label
            for label in labels
            if label not in ordered and needs[label] <= set(ordered) | {label}
        ]
        if not ready:  # a cycle: the rest in registration order (pages retry within)
            ready = [label for label in labels if label not in ordered][:1]
        ordered.append(ready[0])
    return tuple(ordered)


def _model(label: str) -> type[Model]:
    spec = registry.reference_spec(label) or registry.fact_spec(label)
    assert spec is not None
    return spec.model


def _rows(label: str, store: object) -> QuerySet[Any]:
    """The rows of ``label`` a node of ``store`` sees (as ``digest`` compares them)."""
    if registry.reference_spec(label) is not None:
        return _model(label)._default_manager.all()
    spec = registry.fact_spec(label)
    assert spec is not None
    rows = spec.model._default_manager.filter(**dict.fromkeys(registry.parent_links(spec)))
    if spec.store_attname:
        rows = rows.filter(**{spec.store_attname: store})
    return rows


def _parse(after: str, labels: tuple[str, ...]) -> tuple[int, uuid.UUID | None]:
    if not after:
        return 0, None
    label, _sep, last = after.partition("|")
    try:
        return labels.index(label), uuid.UUID(last) if last else None
    except ValueError:
        raise ProtocolError(
            _("Paramètre « after » invalide : « %(v)s ».") % {"v": after[:80]}
        ) from None


def snapshot_page(cred: NodeCredential, *, after: str = "", limit: int = PAGE_ROWS) -> Snapshot:
    """A page of the snapshot for ``cred``'s node, from ``after`` (``""``: the first)."""
    store = cred.till.store_id
    # Before any row is read. Entries up to a cut were all committed (``compaction``), and
    # may all be gone from a quiet domain: the head is at least the cut.
    head = max(log_head(store), cut_for(store)) if not after else 0
    labels = snapshot_labels()
    index, last = _parse(after, labels)
    pairs: list[tuple[str, uuid.UUID]] = []
    facts = 0
    while index < len(labels):
        label = labels[index]
        is_fact = registry.fact_spec(label) is not None
        room = limit - len(pairs)
        if is_fact:
            room = min(room, MAX_PAGE_FACTS - facts)
        if room <= 0:
            break
        rows = _rows(label, store)
        if last is not None:
            rows = rows.filter(pk__gt=last)
        ids = list(rows.order_by("pk").values_list("pk", flat=True)[:room])
        pairs += [(label, row) for row in ids]
        facts += len(ids) if is_fact else 0
        if len(ids) == room:
            last = ids[-1]
            break
        index, last = index + 1, None
    more = index < len(labels)
    token = f"{labels[index]}|{last or ''}" if more else ""
    return Snapshot(changes=_states(pairs), head=head, after=token, more=more)


def _states(pairs: list[tuple[str, uuid.UUID]]) -> list[Change]:
    found = wire.states(pairs)
    return [
        change_of(
            found[pair][0],
            id=str(uuid.uuid5(SNAPSHOT_NAMESPACE, f"{pair[0]}:{pair[1]}")),
            model=pair[0],
            row=str(pair[1]),
            data=found[pair][1],
        )
        for pair in pairs
        if pair in found
    ]


# -- node side ----------------------------------------------------------------------------


def under_way() -> bool:
    """Whether a snapshot was begun here and not finished (it goes on at the next pull)."""
    return SyncState.objects.filter(pk=1).exclude(snapshot_head=None).exists()


def bootstrap(
    client: Any,
    *,
    apply: Callable[[list[Change]], None],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Take the hub's snapshot (or go on with the one under way) and move the pull cursor
    to its head; returns that head. ``apply`` applies a page's changes as a pull's are
    (in the caller's transaction)."""
    state = SyncState.objects.filter(pk=1).values_list("snapshot_head", "snapshot_after").first()
    head, after = state if state else (None, "")
    applied = 0
    while True:
        page = client.snapshot(after=after if head is not None else "")
        if head is None:
            head, after = page.head, ""
        with transaction.atomic():
            locked = state_locked()
            if locked.snapshot_head not in (None, head) or locked.snapshot_after != after:
                # Another run of this post went on meanwhile: start again from where it is.
                head, after = locked.snapshot_head, locked.snapshot_after
                if head is None:
                    return locked.pull_cursor
                continue
            apply(page.changes)
            if page.more:
                locked.snapshot_head, locked.snapshot_after = head, page.after
            else:
                locked.pull_cursor = head
                locked.snapshot_head, locked.snapshot_after = None, ""
            locked.save(update_fields=["pull_cursor", "snapshot_head", "snapshot_after"])
        applied += len(page.changes)
        if progress:
            progress(applied)
        if not page.more:
            return head
        after = page.after
