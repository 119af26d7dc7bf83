"""Record technical events: :func:`event_record`, the one way in, called where things
happen (see the hooks listed in ``events/signals.py`` and the callers of this module).

An event belongs to a post: a till (``till``, or the till this installation sells
through). An installation with no till yet (a home being set up) records nothing.
Events are numbered per till, without gaps: the number is taken under the lock of the
till's event chain head (``journal_link`` then moves that head on: each event is chained
and signed in the same transaction), in the caller's transaction (an event recorded
inside a use case that fails is rolled back with it). The hashed values are built by
``events.journal_setup.event_values``, from what the event stores.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from comptoir.events.journal_setup import EVENTS, event_values
from comptoir.events.models import DETAILS_MAX, EventKind, TechnicalEvent
from comptoir.journal.hooks import BrokenLink
from comptoir.journal.kinds import head_kind
from comptoir.journal.services import journal_link, snapshots
from comptoir.journal.verify import journal_outcome, journal_verify
from comptoir.lib.errors import NotFoundError
from comptoir.stores.models import SeriesCounter, Store, Till
from comptoir.stores.selectors import till_current, till_store_id
from comptoir.stores.services import chain_head_lock
from comptoir.sync import capture

log = logging.getLogger("comptoir.events")

TEXT_MAX = 200  # characters of one text value in the details
TEXT_SHORT = 60  # ... when the details would be too long otherwise
USER_MAX = 150
Details = Mapping[str, str | int | bool | None]


def _clean(text: str, limit: int) -> str:
    # Canonical JSON is ASCII (escapes), but the user is a plain text column: no NUL, no
    # lone surrogate, bounded, like every synced text.
    text = text.replace("\x00", "").encode("utf-8", "replace").decode()
    return text[:limit]


def details_text(details: Details | None) -> str:
    """``details`` as canonical JSON: sorted keys, ASCII, each text value cut to
    ``TEXT_MAX`` characters. Raises ``ValueError`` if it is still too long (a caller's
    bug: details are a few small values)."""
    if not details:
        return ""
    data: dict[str, Any] = {}
    for key, value in details.items():
        if not isinstance(value, str | int | bool | type(None)):
            raise ValueError(f"event detail {key!r}: {type(value).__name__} is not a scalar")
        data[str(key)[:40]] = value[:TEXT_MAX] if isinstance(value, str) else value
    text = _dumps(data)
    if len(text) > DETAILS_MAX:
        # Long texts (a refusal's reason with many accents) are cut further.
        text = _dumps({k: v[:TEXT_SHORT] if isinstance(v, str) else v for k, v in data.items()})
    if len(text) > DETAILS_MAX:
        raise ValueError(f"event details over {DETAILS_MAX} characters")
    return text


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def _till(till: Till | None) -> Till | None:
    if till is not None:
        return till
    try:
        return till_current()
    except NotFoundError:
        return None


@transaction.atomic(savepoint=False)
def event_record(
    *,
    kind: str,
    details: Details | None = None,
    till: Till | None = None,
    user: str = "",
    at: datetime | None = None,
) -> TechnicalEvent | None:
    """Record an event of ``kind`` (an :class:`EventKind` value) on ``till`` (default:
    this post's), in the caller's transaction. None when there is no till to record on."""
    if kind not in EventKind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    text = details_text(details)
    till = _till(till)
    if till is None:
        return None
    head = _head_lock(till)
    if not Till.store.is_cached(till):
        till = Till.objects.select_related("store").get(pk=till.pk)
    last = TechnicalEvent.objects.filter(till=till).aggregate(n=Max("number"))["n"] or 0
    event = TechnicalEvent(
        till=till,
        store_id=till.store_id,
        number=last + 1,
        kind=kind,
        occurred_at=(at or timezone.now()).astimezone(UTC),
        user=_clean(user or "", USER_MAX),
        details=text,
        **snapshots(till),
    )
    link = journal_link(till=till, kind="event", values=event_values(event), head=head)
    for name, value in link.items():
        setattr(event, name, value)
    event.save(force_insert=True)
    return event


def _head_lock(till: Till) -> SeriesCounter:
    """Lock the till's event chain head: it numbers the events and heads their chain."""
    if capture.is_hub():
        # One lock order on the hub: change log, then rows (``sync.synced``). A push that
        # raises an integrity alert holds the log when it records the event. The event is
        # a row of the till's store (its ordering domain, when the use case holds one).
        capture.lock_log(till.store_id)
    return chain_head_lock(till=till, chain=head_kind(EVENTS))


@capture.store_use_case(till_store_id)
def post_started(*, version: str, till: Till | None = None) -> TechnicalEvent | None:
    """The post starts: a ``version_change`` event first if the software's version is not
    the one of its last start, then ``post_start`` with the version."""
    till = _till(till)
    if till is None:
        return None
    last = (
        TechnicalEvent.objects.filter(till=till, kind=EventKind.POST_START)
        .order_by("-number")
        .first()
    )
    previous = last.details_data.get("version") if last is not None else None
    if previous is not None and previous != version:
        event_record(
            kind=EventKind.VERSION_CHANGE,
            details={"from": str(previous), "to": version},
            till=till,
        )
    return event_record(kind=EventKind.POST_START, details={"version": version}, till=till)


@capture.store_use_case(till_store_id)
def post_stopped(*, version: str, till: Till | None = None) -> TechnicalEvent | None:
    return event_record(kind=EventKind.POST_STOP, details={"version": version}, till=till)


@capture.store_use_case(till_store_id)
def _journal_verified_record(*, till: Till, outcome: str, cause: str) -> None:
    event_record(
        kind=EventKind.JOURNAL_VERIFIED,
        details={"outcome": outcome, "post": till.prefix, "cause": cause},
        till=till,
    )


def store_identity_changed(store: Store, fields: list[str]) -> None:
    """Registered with ``stores.services.store_update`` (see ``EventsConfig.ready``)."""
    event_record(
        kind=EventKind.STORE_IDENTITY_CHANGE,
        details={"store": store.name, "fields": ",".join(fields)},
    )


def broken_link_logged(broken: BrokenLink) -> None:
    """Registered with ``journal.hooks`` (see ``EventsConfig.ready``): an integrity alert
    raised on the hub by a chain that does not link, logged on the hub's post. Runs in the
    push's transaction, which holds the change-log lock (the hub's lock order)."""
    event_record(
        kind=EventKind.INTEGRITY_ALERT,
        details={
            "post": broken.post.prefix,
            "chain": broken.chain,
            "record": broken.record,
            "sequence": broken.sequence,
            "reason": broken.reason,
        },
    )


def post_verified(till_id: UUID, *, cause: str) -> str | None:
    """``journal verify`` of one post's chains, run by itself (after closings are made:
    ``cause``), then logged as a ``journal_verified`` event with its outcome; the result
    is kept for the status and sync pages. Runs after the commit of what caused it, in a
    transaction of its own. Returns the outcome, or None when the check failed (logged,
    never raised: a background check must not break what ran it)."""
    try:
        till = Till.objects.get(pk=till_id)
        outcome = journal_outcome(journal_verify(till.prefix))
        _journal_verified_record(till=till, outcome=outcome, cause=cause)
    except Exception:
        log.exception("vérification du journal fiscal impossible (%s)", cause)
        return None
    if outcome == "broken":
        log.error("journal fiscal NON intègre sur le poste %s (%s)", till.prefix, cause)
    return outcome


@transaction.atomic(savepoint=False)
def reprint_record(*, document: str, number: str, form: str, user: str = "") -> int:
    """Record a reprint (« DUPLICATA ») of ``document`` ``number`` printed as ``form``, in
    the caller's transaction, and return its copy number on this post: 1 for the first
    duplicate, then 2, ... (counted per document over every form). 0 when this
    installation has no till to record on (nothing is recorded)."""
    till = _till(None)
    if till is None:
        return 0
    # The event chain head is locked first (as ``event_record`` does), so two reprints of
    # one document at once get two copy numbers.
    _head_lock(till)
    key = _dumps({"number": number})[1:-1]
    copies = [
        int(event.details_data.get("copy") or 0)
        for event in TechnicalEvent.objects.filter(
            till=till, kind=EventKind.REPRINT, details__contains=key
        )
        if event.details_data.get("number") == number
        and event.details_data.get("document") == document
    ]
    copy = max(copies, default=0) + 1
    event_record(
        kind=EventKind.REPRINT,
        details={"document": document, "number": number, "form": form, "copy": copy},
        till=till,
        user=user,
    )
    return copy
