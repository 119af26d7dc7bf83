"""Technical events in the fiscal journal: one chain per post (``event``), in the order of
their numbers. Their values come from the event's own row only: the service links with
them, a verifier rebuilds them. A reprint is an event like the others (code
``reprint``): its document and copy number are in its details."""

from __future__ import annotations

import json
from typing import Any

from comptoir.events.models import TechnicalEvent
from comptoir.journal.kinds import register_kind
from comptoir.journal.services import post_values

EVENTS = "event"


def _details(text: str) -> Any:
    """The details as the JSON they hold (None when empty); text that is not JSON (never
    written so) is hashed as it is, so that it cannot pass for another value."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def event_values(event: TechnicalEvent) -> dict[str, Any]:
    return {
        **post_values(event),
        "number": event.number,
        "instant": event.occurred_at,
        "code": event.kind,
        "actor": event.user,
        "details": _details(event.details),
    }


def register() -> None:
    register_kind(
        "event",
        chain=EVENTS,
        model=TechnicalEvent,
        instant="occurred_at",
        values=event_values,
        number=lambda e: f"{e.post_prefix or ''} #{e.number}".strip(),
    )
