"""Cash facts in the fiscal journal: a session's opening and closing in one chain per post
(``sess``), cash movements in another (``move``). Their values come from the fact and
its session only (immutable facts both): the service links with them, a verifier
rebuilds them from the stored rows."""

from __future__ import annotations

from typing import Any

from comptoir.cash.models import CashMovement, CashSession, CashSessionClosing
from comptoir.journal.kinds import register_kind
from comptoir.journal.services import post_values

SESSIONS = "sess"
MOVEMENTS = "move"


def session_open_values(session: CashSession) -> dict[str, Any]:
    counts = session.float_counts or {}
    return {
        **post_values(session),
        "session_id": session.pk,
        "instant": session.opened_at,
        "cashier": session.cashier,
        "currency": session.currency,
        "float": session.float_amount,
        "denominations": [
            {"value": int(value), "count": int(count)}
            for value, count in sorted(counts.items(), key=lambda item: int(item[0]))
        ]
        or None,
    }


def session_close_values(closing: CashSessionClosing) -> dict[str, Any]:
    return {
        **post_values(closing),
        "session_id": closing.session_id,
        "instant": closing.closed_at,
        "cashier": closing.cashier,
        "currency": closing.session.currency,
        "expected": closing.expected_amount,
        "counted": closing.counted_amount,
        "difference": closing.difference,
    }


def cash_movement_values(movement: CashMovement) -> dict[str, Any]:
    return {
        **post_values(movement),
        "session_id": movement.session_id,
        "instant": movement.occurred_at,
        "cashier": movement.cashier,
        "currency": movement.session.currency,
        "direction": movement.kind,
        "amount": movement.amount,
        "reason": movement.reason,
    }


def register() -> None:
    register_kind(
        "session_open",
        chain=SESSIONS,
        model=CashSession,
        instant="opened_at",
        values=session_open_values,
        number=lambda s: f"{s.post_prefix or ''} #{s.number}".strip(),
    )
    register_kind(
        "session_close",
        chain=SESSIONS,
        model=CashSessionClosing,
        instant="closed_at",
        values=session_close_values,
        select=("session",),
        number=lambda c: f"{c.post_prefix or ''} #{c.session.number}".strip(),
    )
    register_kind(
        "cash_movement",
        chain=MOVEMENTS,
        model=CashMovement,
        instant="occurred_at",
        values=cash_movement_values,
        select=("session",),
        number=lambda m: f"{m.post_prefix or ''} {m.kind} #{m.number}".strip(),
    )
