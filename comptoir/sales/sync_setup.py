"""Sales facts: an invoice (or credit note) travels with its lines, taxes, payments and
stock movements, and applies as one unit; stock and statistics are derived on arrival."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.sales.models import (
    AccountSettlement,
    CreditNote,
    CreditNoteLine,
    CreditNoteTax,
    Invoice,
    InvoiceLine,
    InvoiceTax,
    Payment,
    PaymentMethod,
)
from comptoir.sales.services.derived import credit_notes_derive, invoices_derive
from comptoir.stock.models import StockMovement
from comptoir.stores.models import Till
from comptoir.sync.registry import register_fact, register_naming, register_reference


def authorize_series(till: Till, root: Any) -> str | None:
    """A till writes documents of its own series, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les documents de sa propre caisse.")
    if not root.number.startswith(f"{till.prefix}-"):
        return _("Numéro hors de la série de ce poste : %(n)s.") % {"n": root.number}
    return None


def hub_only(till: Till, row: Any, names: set[str]) -> str | None:
    """Payment methods are edited where stores are (``stores_editable_here``): a till
    receives its store's; one that could write them could change another store's."""
    return _("Les moyens de paiement se modifient sur le serveur seulement.")


def authorize_settlement(till: Till, root: Any) -> str | None:
    """A till sends the settlements taken at its own till, in its own store, only."""
    if root.till_id != till.pk or root.store_id != till.store_id:
        return _("Ce poste ne peut envoyer que les règlements faits à sa propre caisse.")
    return None


def register() -> None:
    register_reference(PaymentMethod, authorize=hub_only)
    register_fact(AccountSettlement, store_attname="store_id", authorize=authorize_settlement)
    register_naming(Invoice, lambda n: ngettext("%(n)d facture", "%(n)d factures", n), rank=10)
    register_naming(CreditNote, lambda n: ngettext("%(n)d avoir", "%(n)d avoirs", n), rank=20)
    register_fact(
        Invoice,
        parts=(
            (InvoiceLine, "invoice_id"),
            (InvoiceTax, "invoice_id"),
            (Payment, "invoice_id"),
            (StockMovement, "invoice_id"),
        ),
        store_attname="store_id",
        on_apply_many=invoices_derive,
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
        on_apply_many=credit_notes_derive,
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
