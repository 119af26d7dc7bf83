"""Sales facts: an invoice (or credit note) travels with its lines, taxes, payments and
stock movements, and applies as one unit; stock and statistics are derived on arrival."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from comptoir.core.models import Till
from comptoir.sales.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
)
from comptoir.stats.services import (
    credit_note_contributions,
    invoice_contributions,
    stats_record_credit_note,
    stats_record_invoice,
    stats_record_many,
)
from comptoir.stock.models import StockMovement
from comptoir.stock.services import level_apply_movement, levels_apply_movements
from comptoir.sync.registry import Applied, register_fact


def _invoice_arrived(invoice: Invoice) -> None:
    for movement in StockMovement.objects.filter(invoice=invoice).order_by("article_id"):
        level_apply_movement(movement)
    stats_record_invoice(invoice)


def _credit_note_arrived(note: CreditNote) -> None:
    for movement in StockMovement.objects.filter(credit_note=note).order_by("article_id"):
        level_apply_movement(movement)
    stats_record_credit_note(note)


def _invoices_arrived(items: list[Applied]) -> None:
    levels_apply_movements([m for _root, parts in items for m in parts.get(StockMovement, [])])
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in invoice_contributions(
            root,
            lines=parts.get(InvoiceLine, []),
            taxes=parts.get(InvoiceTax, []),
            payments=parts.get(Payment, []),
        )
    )


def _credit_notes_arrived(items: list[Applied]) -> None:
    levels_apply_movements([m for _root, parts in items for m in parts.get(StockMovement, [])])
    stats_record_many(
        contribution
        for root, parts in items
        for contribution in credit_note_contributions(
            root, lines=parts.get(CreditNoteLine, []), taxes=parts.get(CreditNoteTax, [])
        )
    )


def authorize_series(till: Till, root: Any) -> str | None:
    """A till writes documents of its own series, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les documents de sa propre caisse.")
    if not root.number.startswith(f"{till.prefix}-"):
        return _("Numéro hors de la série de ce poste : %(n)s.") % {"n": root.number}
    return None


def register() -> None:
    register_fact(
        Invoice,
        parts=(
            (InvoiceLine, "invoice_id"),
            (InvoiceTax, "invoice_id"),
            (Payment, "invoice_id"),
            (StockMovement, "invoice_id"),
        ),
        store_attname="store_id",
        on_apply=_invoice_arrived,
        on_apply_many=_invoices_arrived,
        authorize=authorize_series,
    )
    register_fact(
        CreditNote,
        parts=(
            (CreditNoteLine, "credit_note_id"),
            (CreditNoteTax, "credit_note_id"),
            (StockMovement, "credit_note_id"),
        ),
        store_attname="store_id",
        on_apply=_credit_note_arrived,
        on_apply_many=_credit_notes_arrived,
        authorize=authorize_series,
    )
    parts: list[tuple[type[Any], str, str]] = [
        (InvoiceLine, "invoice_id", "sales.invoice"),
        (InvoiceTax, "invoice_id", "sales.invoice"),
        (Payment, "invoice_id", "sales.invoice"),
        (CreditNoteLine, "credit_note_id", "sales.creditnote"),
        (CreditNoteTax, "credit_note_id", "sales.creditnote"),
    ]
    for model, fk, root in parts:
        register_fact(
            model, part_only=True, part_of=lambda obj, fk=fk, root=root: (root, getattr(obj, fk))
        )
