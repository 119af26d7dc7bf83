"""Hub side of the protocol: apply a node's push, serve a page of the change log."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from comptoir.events.models import EventKind
from comptoir.events.services import event_record
from comptoir.journal.arrival import records_arrived
from comptoir.sync import capture, registry, wire
from comptoir.sync.clock import wall_ms
from comptoir.sync.models import ChangeLog, IntegrityAlert, NodeCredential, ReceivedChange
from comptoir.syncengine import compaction
from comptoir.syncengine.apply import apply_batch
from comptoir.syncengine.protocol import Change, FactChange, Page, Result, change_of

log = logging.getLogger("comptoir.sync")
LOG_NAMESPACE = uuid.UUID("6f1d2c3e-7a4b-4c5d-9e8f-0a1b2c3d4e5f")
# Fact aggregates per pull page at most, whatever the limit asked: a page of 2,000
# invoices takes some 250 MB on a till while it is applied; reference rows are small.
MAX_PAGE_FACTS = 1000


def push_domain(cred: NodeCredential, changes: list[Change]) -> uuid.UUID | None:
    """The ordering domain a push writes in: its node's store when it carries facts only
    (they belong to that store: the hub refuses the others), else None (reference data,
    which every store sees: the global lock)."""
    if any(not isinstance(change, FactChange) for change in changes):
        return None
    return cred.till.store_id


def push_apply(cred: NodeCredential, changes: list[Change], *, pending: int = -1) -> list[Result]:
    """Apply a push in one transaction; each change in its own savepoint.

    A push of facts locks its store's ordering domain only (``capture.log_locked``), so
    the pushes of different stores commit concurrently. Should it come to write outside
    its store (an integrity alert recorded on the hub's own post, in another store), it
    is rolled back and applied again under the global lock.

    A change id seen before is answered ``duplicate`` without being applied again (the
    node retried after a lost response). Rejected changes are not remembered, so that
    the node can send them again once the cause is fixed.

    The pushes of one node are serialised on its credential row: a retry that overlaps
    the first attempt (or the worker and a manual sync) waits for it, then finds its
    change ids received, instead of missing them and failing on the first one's rows.

    ``pending``: the node's outbox once this push is through, as it says it (-1: it
    does not), noted on its credential for the hub's sync page.
    """
    store = push_domain(cred, changes)
    if store is not None:
        try:
            return _push_apply(cred, changes, store, pending)
        except capture.DomainEscape as escape:
            log.info("envoi de %s rejoué sous le verrou global : %s", cred.node_id, escape)
    return _push_apply(cred, changes, None, pending)


def _push_apply(
    cred: NodeCredential, changes: list[Change], store: uuid.UUID | None, pending: int
) -> list[Result]:
    now = wall_ms()
    results: list[Result] = []
    with transaction.atomic(durable=True):
        # The post, read again under its credential's lock: what the push is checked
        # against (its store, its key) is what holds when it commits.
        till = (
            NodeCredential.objects.select_for_update(of=("self",))
            .select_related("till")
            .get(pk=cred.pk)
            .till
        )
        # The change-log lock first, as every local hub write takes it (at its first
        # captured save) before touching derived rows: applying facts updates stock levels
        # before appending to the log, and the other order deadlocked with a local
        # ``stock receive`` on the same level.
        # Held until commit: appends need not ask again.
        with capture.log_locked(store):
            contact: dict[str, Any] = {
                "last_push_at": timezone.now(),
                "last_seen_at": timezone.now(),
            }
            if pending >= 0:
                contact.update(pending_count=pending, pending_at=timezone.now())
            NodeCredential.objects.filter(pk=cred.pk).update(**contact)
            seen = set(
                # This node's own ids only: another node reusing one of them must not make
                # the hub answer "duplicate" for a change it never applied.
                ReceivedChange.objects.filter(
                    node_id=cred.node_id, change_id__in=[c.id for c in changes]
                ).values_list("change_id", flat=True)
            )
            received = []
            fresh: list[Change] = []
            for change in changes:  # ids seen before, or twice in this push, are duplicates
                if uuid.UUID(change.id) not in seen:
                    seen.add(uuid.UUID(change.id))
                    fresh.append(change)
            outcomes = {
                o.change_id: o
                for o in apply_batch(fresh, origin=cred.node_id, till=till, hub_now_ms=now)
            }
            outcomes_by_id = dict(outcomes)  # ``outcomes`` is consumed below
            for change in changes:
                outcome = outcomes.pop(change.id, None)
                if outcome is None:
                    results.append(Result(id=change.id, status="duplicate", reason=""))
                    continue
                results.append(
                    Result(
                        id=change.id,
                        status=outcome.status,  # type: ignore[arg-type]
                        reason=outcome.reason,
                    )
                )
                if outcome.status != "rejected":
                    received.append(
                        ReceivedChange(
                            change_id=change.id, node_id=cred.node_id, result=outcome.status
                        )
                    )
            ReceivedChange.objects.bulk_create(received, ignore_conflicts=True)
            _integrity_alerts(cred, fresh, outcomes_by_id)
            # The fiscal journal: the chains of the records just applied (pending, broken).
            records_arrived(
                cred.node_id,
                [
                    (c.model, c.row)
                    for c in fresh
                    if isinstance(c, FactChange) and outcomes_by_id[c.id].status == "applied"
                ],
                till,
            )
    return results


def _integrity_alerts(
    cred: NodeCredential, changes: list[Change], outcomes: dict[str, Any]
) -> None:
    """Record each fact of this push that was refused (an integrity alert: its series has a
    hole here), and close the alerts of the facts that were applied at last."""
    now = timezone.now()
    refused, applied = [], []
    for change in changes:
        outcome = outcomes.get(change.id)
        if (
            outcome is None
            or not isinstance(change, FactChange)
            or not registry.fact_spec(change.model)
        ):
            continue
        try:
            row = uuid.UUID(change.row)
        except (TypeError, ValueError, AttributeError):
            continue
        if outcome.status == "rejected":
            refused.append(
                IntegrityAlert(
                    node_id=cred.node_id,
                    model=change.model,
                    row_id=row,
                    document=_document_number(change),
                    reason=outcome.reason,
                    first_at=now,
                    last_at=now,
                )
            )
        elif outcome.status == "applied":
            # Stored now: its hole is filled. A copy of a fact the hub holds already
            # ("duplicate") closes nothing: an alert open on a stored fact is a chain
            # that does not link (``journal.arrival``), never hidden by a copy sent again.
            applied.append(row)
    # One alert per fact, the last refusal's (a push may carry several copies of it), and
    # none for a fact the hub holds: an altered copy of a stored invoice leaves no hole.
    latest = {(a.model, a.row_id): a for a in refused}
    for model in {m for m, _row in latest}:
        spec = registry.fact_spec(model)
        assert spec is not None
        rows = [row for m, row in latest if m == model]
        for row in spec.model._base_manager.filter(pk__in=rows).values_list("pk", flat=True):
            latest.pop((model, row))
    refused = [a for key, a in latest.items() if key[1] not in applied]
    if refused:
        _alerts_logged(cred, refused)
        IntegrityAlert.objects.bulk_create(
            refused,
            update_conflicts=True,
            unique_fields=["node_id", "model", "row_id"],
            update_fields=["reason", "last_at", "resolved_at"],
        )
    if applied and IntegrityAlert.objects.filter(node_id=cred.node_id, resolved_at=None).exists():
        IntegrityAlert.objects.filter(
            node_id=cred.node_id, row_id__in=applied, resolved_at=None
        ).update(resolved_at=now)


def _alerts_logged(cred: NodeCredential, refused: list[IntegrityAlert]) -> None:
    """A technical event of the hub's post for each alert raised now (not for a fact that
    is refused again while its alert is open)."""
    already = set(
        IntegrityAlert.objects.filter(
            node_id=cred.node_id,
            row_id__in=[a.row_id for a in refused],
            resolved_at=None,
        ).values_list("model", "row_id")
    )
    for alert in refused:
        if (alert.model, alert.row_id) in already:
            continue
        event_record(
            kind=EventKind.INTEGRITY_ALERT,
            details={
                "post": cred.name,
                "model": alert.model,
                "row": str(alert.row_id),
                "document": alert.document,
                "reason": alert.reason,
            },
        )


def _document_number(change: FactChange) -> str:
    """The refused document's number as the till printed it, if the change carries one."""
    try:
        number = change.data.rows[change.model][0].get("number")
    except (KeyError, IndexError, TypeError, AttributeError):
        return ""
    return number[:40] if isinstance(number, str) else ""


def _visible(cred: NodeCredential) -> Q:
    return (Q(store=None) | Q(store_id=cred.till.store_id)) & ~Q(origin_node=cred.node_id)


def log_head(store: object = None) -> int:
    """The last sequence of the log; with ``store``, of its ordering domain (the store's
    rows and the rows every store sees): what that store's nodes can page up to.

    Within a domain, appends commit in sequence order (``capture``): every entry of the
    domain up to its head is committed, and the next one will be above it. Entries of
    other stores below the whole log's head may still be on their way."""
    if store is None:
        return ChangeLog.objects.aggregate(head=Max("seq"))["head"] or 0
    table = connection.ops.quote_name(ChangeLog._meta.db_table)
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    with connection.cursor() as cursor:
        # Each max read backwards from the end of its part of the (store, seq) index.
        cursor.execute(
            f"SELECT {greatest}("
            f"COALESCE((SELECT MAX(seq) FROM {table} WHERE store_id = %s), 0), "
            f"COALESCE((SELECT MAX(seq) FROM {table} WHERE store_id IS NULL), 0))",
            [_store_value(store)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _store_value(store: object) -> Any:
    # The store id as the database stores it (a uuid column on PostgreSQL, hex on SQLite).
    field = ChangeLog._meta.get_field("store").target_field
    return field.get_db_prep_value(
        store if isinstance(store, uuid.UUID) else uuid.UUID(str(store)), connection
    )


def pull_page(
    cred: NodeCredential,
    cursor: int,
    limit: int,
    *,
    touch: bool = True,
    note: dict[str, Any] | None = None,
) -> Page:
    """The changes after ``cursor`` this node should see, and the cursor to ask next.

    ``touch`` records the node's contact on its credential, with the ``note`` fields the
    node told about itself (one write per request).

    The head of the node's ordering domain is read first: there, log appends commit in
    sequence order (see ``capture``), so every entry it can see up to that head is
    readable by the next query, and a page that is not full can move the cursor to the
    head, past entries meant for other nodes. Never to the whole log's head: another
    store's push may still be committing below it, and its own store's after it.

    :class:`compaction.Behind` if the log was cut above ``cursor`` in a domain this node
    sees (read after the entries: a cut is committed before its entries go).
    """
    head = log_head(cred.till.store_id)
    entries = list(
        ChangeLog.objects.filter(_visible(cred), seq__gt=cursor)
        .order_by("seq")
        .values_list("seq", "model", "row_id")[: limit + 1]
    )
    compaction.check_cursor(cred.till.store_id, cursor)
    more = len(entries) > limit
    entries = entries[:limit]
    documents: set[tuple[str, uuid.UUID]] = set()
    for index, (_seq, model, row_id) in enumerate(entries):
        if registry.fact_spec(model) and (model, row_id) not in documents:
            if len(documents) == MAX_PAGE_FACTS:  # documents weigh more than reference rows
                entries, more = entries[:index], True
                break
            documents.add((model, row_id))
    next_cursor = entries[-1][0] if more else max(head, entries[-1][0] if entries else cursor)
    latest: dict[tuple[str, uuid.UUID], int] = {}
    for seq, model, row_id in entries:
        latest[(model, row_id)] = seq
    changes = serialize(sorted(latest.items(), key=lambda item: item[1]))
    if touch:  # once per request, not on every turn of a long poll
        NodeCredential.objects.filter(pk=cred.pk).update(
            last_pull_at=timezone.now(),
            last_seen_at=timezone.now(),
            pull_cursor=cursor,
            **(note or {}),
        )
    return Page(changes=changes, cursor=next_cursor, more=more)


def serialize(items: list[tuple[tuple[str, uuid.UUID], int]]) -> list[Change]:
    """Current states of (model, row) in the given order, as wire changes."""
    found = wire.states([pair for pair, _seq in items])
    return [
        change_of(
            found[pair][0],
            id=str(uuid.uuid5(LOG_NAMESPACE, str(seq))),
            model=pair[0],
            row=str(pair[1]),
            data=found[pair][1],
        )
        for pair, seq in items
        if pair in found
    ]
