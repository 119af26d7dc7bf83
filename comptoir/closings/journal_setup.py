"""Closings in the fiscal journal: one chain per post (``close``), days, months and years
in the order they were made. Their values come from the closing's own row only (its
figures are stored with it): the service links with them, a verifier rebuilds them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from comptoir.closings.models import Closing
from comptoir.journal.kinds import register_kind
from comptoir.journal.services import post_values

CLOSINGS = "close"
SIDES = ("sales", "returns")
AMOUNTS = ("excl_vat", "vat", "incl_vat")
TOTALS = (
    "sales_excl_vat",
    "sales_vat",
    "sales_incl_vat",
    "returns_excl_vat",
    "returns_vat",
    "returns_incl_vat",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "perpetual_total",
    "perpetual_absolute_total",
)


def _by_method(amounts: dict[str, Any]) -> list[dict[str, Any]]:
    # Sorted: a JSON object's key order is not kept by every database (jsonb).
    return [{"method": method, "amount": amounts[method]} for method in sorted(amounts)]


def closing_values(closing: Closing) -> dict[str, Any]:
    return {
        **post_values(closing),
        "period": closing.kind,
        "period_start": closing.period_start,
        "period_end": closing.period_end,
        "instant": closing.closed_at,
        "currency": closing.currency,
        "invoice_count": closing.invoice_count,
        "invoice_first": closing.invoice_first,
        "invoice_last": closing.invoice_last,
        "credit_note_count": closing.credit_note_count,
        "credit_note_first": closing.credit_note_first,
        "credit_note_last": closing.credit_note_last,
        "by_rate": [
            {
                "rate": Decimal(row["rate"]),
                **{f"{side}_{name}": row[side][name] for side in SIDES for name in AMOUNTS},
            }
            for row in closing.by_rate
        ],
        "payments": _by_method(closing.payments),
        "refunds": _by_method(closing.refunds),
        **{name: getattr(closing, name) for name in TOTALS},
    }


def register() -> None:
    register_kind(
        "closing",
        chain=CLOSINGS,
        model=Closing,
        instant="closed_at",
        values=closing_values,
        # A stored closing or one arriving (a wire row): its period by its first day.
        number=lambda c: f"{c.post_prefix or ''} {c.kind} {c.period_start}".strip(),
    )
