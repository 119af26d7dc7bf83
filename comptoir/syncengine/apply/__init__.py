"""Applying received changes: per-field LWW for reference rows, insert-once for facts.

Each change is applied in its own savepoint inside the caller's transaction, so a
rejected change leaves nothing behind while the others of the batch commit. Foreign keys
are checked up front (they are deferred to commit by the database, where a violation
would fail the whole batch).

Here the entry points; :mod:`.references` merges reference rows, :mod:`.facts` inserts
fact aggregates, :mod:`.inserts` writes rows in bulk, :mod:`.base` holds what they share.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils.translation import gettext as _

from comptoir.lib.errors import ComptoirError
from comptoir.stores.models import Till
from comptoir.sync import capture
from comptoir.syncengine.apply.base import Outcome, Rejected
from comptoir.syncengine.apply.facts import apply_fact, apply_facts, batchable
from comptoir.syncengine.apply.references import apply_reference, insert_new_references
from comptoir.syncengine.protocol import Change, ReferenceChange

__all__ = ["Outcome", "Rejected", "apply_batch", "apply_change"]


@contextmanager
def _collected(origin: str) -> Iterator[None]:
    # One change-log entry per applied aggregate, whatever rows it inserted.
    with capture.collecting() as roots:
        yield
    with capture.applying(origin):
        capture.record(roots)


def apply_change(
    change: Change, *, origin: str, till: Till | None = None, hub_now_ms: int | None = None
) -> Outcome:
    """Apply one change in a savepoint. ``till`` (hub only) is the pushing node's till."""
    try:
        with transaction.atomic(), _collected(origin):
            if isinstance(change, ReferenceChange):
                status = apply_reference(change, origin, hub_now_ms, till)
            else:
                status = apply_fact(change, origin, till)
    except Rejected as exc:
        return Outcome(change.id, change.model, "rejected", exc.reason)
    except ComptoirError as exc:
        return Outcome(change.id, change.model, "rejected", exc.message)
    except (IntegrityError, DataError) as exc:
        return Outcome(
            change.id,
            change.model,
            "rejected",
            _("Refusé par la base de données : %(e)s") % {"e": str(exc).splitlines()[0]},
        )
    except DatabaseError:
        raise
    return Outcome(change.id, change.model, status)


RETRY_PASSES = 3


def apply_batch(changes: list[Change], **options: Any) -> list[Outcome]:
    """Apply changes, then retry the refused ones while that makes progress.

    Reference rows go first (in order), then the fact aggregates, set-wise
    (:func:`apply_facts`), so that a document finds the customer or article that came
    with it. A row's current state may point to a row that comes later in the same batch
    (an article moved to a category created after it); once the rest is applied, it fits.
    Results are in the order of ``changes``.
    """
    outcomes: dict[int, Outcome] = {}
    if options.get("till") is None and options.get("hub_now_ms") is None:
        outcomes.update(insert_new_references(changes, options["origin"]))
    rest = [i for i in range(len(changes)) if i not in outcomes]
    facts = [i for i in rest if changes[i].kind == "fact" and batchable(changes[i].model)]
    batched = set(facts)
    refused = []
    for index in [i for i in rest if i not in batched and changes[i].kind == "reference"]:
        outcomes[index] = apply_change(changes[index], **options)
    outcomes.update(
        apply_facts(
            changes,
            facts,
            origin=options["origin"],
            till=options.get("till"),
            one_by_one=apply_change,
        )
    )
    for index in [i for i in rest if i not in batched and changes[i].kind != "reference"]:
        outcomes[index] = apply_change(changes[index], **options)
    refused = [i for i in rest if outcomes[i].status == "rejected"]
    pending = rest
    for _pass in range(1, RETRY_PASSES):
        if not refused or len(refused) == len(pending):
            break
        pending, refused = refused, []
        for index in pending:
            outcomes[index] = apply_change(changes[index], **options)
            if outcomes[index].status == "rejected":
                refused.append(index)
    return [outcomes[i] for i in range(len(changes))]
