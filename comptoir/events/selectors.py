"""Reads of the technical event log: a period's events, newest first."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone

from comptoir.events.models import EventKind, TechnicalEvent


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def event_list(
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    kinds: Iterable[str] = (),
    store_ids: Iterable[UUID] | None = None,
    till_prefix: str | None = None,
    limit: int | None = None,
) -> QuerySet[TechnicalEvent]:
    """Events of the period (local days, both included), of the given kinds (all when
    none), in the given stores (all when None), newest first."""
    qs: Any = TechnicalEvent.objects.select_related("till", "store").order_by(
        "-occurred_at", "-number"
    )
    if date_from is not None:
        qs = qs.filter(occurred_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(occurred_at__lt=_day_start(date_to + timedelta(days=1)))
    kinds = [k for k in kinds if k]
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if store_ids is not None:
        qs = qs.filter(store_id__in=list(store_ids))
    if till_prefix:
        qs = qs.filter(till__prefix=till_prefix.strip().upper())
    return qs[:limit] if limit is not None else qs


def event_label(kind: str) -> str:
    """The French label of an event kind (the code itself if unknown)."""
    try:
        return str(EventKind(kind).label)
    except ValueError:
        return kind


def event_data(event: TechnicalEvent) -> dict[str, Any]:
    """An event as plain data (``--json``, the page)."""
    return {
        "till": event.till.prefix,
        "number": event.number,
        "kind": event.kind,
        "label": event_label(event.kind),
        "occurred_at": timezone.localtime(event.occurred_at).isoformat(),
        "user": event.user,
        "details": event.details_data,
    }
