"""The stock and statistics a sales document derives: one function per document kind,
called by the local validation (``invoice_validate``, ``credit_note_issue``) and by the
sync apply (``FactSpec.on_apply_many``) alike, with the documents' parts in memory (no
re-read of what was just inserted). Call in the transaction that inserted them.

The rules belong to the apps that keep the derived tables, above sales: ``stock`` (levels)
and ``stats`` register them with ``registry.register_derivation`` in their ``sync_setup``.
"""

from __future__ import annotations

from comptoir.sync.registry import Applied, derive


def invoices_derive(items: list[Applied]) -> None:
    """Stock levels and statistics of new invoices, each as (invoice, parts by model)."""
    derive("sales.invoice", items)


def credit_notes_derive(items: list[Applied]) -> None:
    """Stock levels and statistics of new credit notes, each as (note, parts by model)."""
    derive("sales.creditnote", items)
