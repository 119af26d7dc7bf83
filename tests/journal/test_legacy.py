"""Documents chained before version 2 keep verifying under version 1 (no stored hash is
ever rewritten), and the chain goes on from them.

The version 1 documents are made the way the services made them before: the same
hashed values, ``lib.chain.chain_hash`` over the head's last hash, no sequence, no
signature, nothing but ``previous_hash`` and ``chain_hash`` stored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command

from comptoir.journal.verify import ChainResult, journal_verify
from comptoir.lib.chain import chain_hash
from comptoir.sales.models import CreditNote, Invoice
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.sales.services import credit_notes as credit_service
from comptoir.sales.services import invoices as invoice_service
from comptoir.stores.models import Till
from tests.factories import at, make_article
from tests.journal.conftest import raw, triggers_dropped


def _old_values(kind: str, v: dict[str, Any]) -> dict[str, Any]:
    """The values the services hashed before version 2 (``git show bfdd779``)."""
    taxes = [[str(t["rate"]), t["base"], t["vat"]] for t in v["vat"]]
    if kind == "invoice":
        return {
            "kind": "invoice",
            "number": v["number"],
            "validated_at": v["instant"].isoformat(),
            "store": v["store_name"],
            "currency": v["currency"],
            "total_excl_tax": v["total_excl_vat"],
            "total_tax": v["total_vat"],
            "total_incl_tax": v["total_incl_vat"],
            "lines": [
                [
                    ln["article_code"],
                    str(ln["quantity"]),
                    ln["unit_price"],
                    str(ln["discount_rate"]),
                    ln["total_incl_vat"],
                ]
                for ln in v["lines"]
            ],
            "taxes": taxes,
            "payments": [[p["method"], p["amount"]] for p in v["payments"]],
        }
    return {
        "kind": "credit_note",
        "number": v["number"],
        "invoice": v["invoice_number"],
        "issued_at": v["instant"].isoformat(),
        "store": v["store_name"],
        "total_incl_tax": v["total_incl_vat"],
        "lines": [
            [ln["article_code"], str(ln["quantity"]), ln["total_incl_vat"]] for ln in v["lines"]
        ],
        "taxes": taxes,
    }


def _old_link(*, till: Till, kind: str, values: dict[str, Any], head: Any) -> dict[str, Any]:
    digest = chain_hash(head.last_hash, _old_values(kind, values))
    fields = {"previous_hash": head.last_hash, "chain_hash": digest}
    head.last_hash = digest
    head.save(update_fields=["last_hash"])
    return fields


@pytest.fixture
def version_1() -> Iterator[None]:
    """The sales services as they chained before version 2."""
    saved = invoice_service.journal_link, credit_service.journal_link
    invoice_service.journal_link = _old_link  # type: ignore[assignment]
    credit_service.journal_link = _old_link  # type: ignore[assignment]
    try:
        yield
    finally:
        invoice_service.journal_link, credit_service.journal_link = saved


def _documents(results: list[ChainResult]) -> list[ChainResult]:
    """The document chain's result (the sale of the next day closed the first one: the
    closing and its event are in chains of their own)."""
    return [r for r in results if r.chain == "doc"]


def _old_documents() -> None:
    make_article("A", "2.35", vat="20")
    make_article("B", "0.99", vat="5.5", unit="kg")
    first = invoice_sell(lines=[SaleLine("A", 2), SaleLine("B", "1.234")], at=at(2, 9))
    credit_note_issue(invoice_number=first.number, lines=[ReturnLine("B", "0.5")], at=at(2, 10))
    invoice_sell(
        lines=[SaleLine("B", "0.5", discount_rate="5")],
        payments=[PaymentInput("card", "0.20"), PaymentInput("cash", "1")],
        at=at(2, 11),
    )
    credit_note_issue(invoice_number=first.number, at=at(2, 12))


def test_version_1_documents_verify_and_the_chain_goes_on_from_them(
    till: Till, version_1: None
) -> None:
    _old_documents()
    old = [*Invoice.objects.all(), *CreditNote.objects.all()]
    assert len(old) == 4
    assert all(d.chain_version is None and d.signature is None for d in old)
    hashes = {d.pk: d.chain_hash for d in old}
    [result] = _documents(journal_verify())
    assert (result.chain, result.status, len(result.stored)) == ("doc", "whole", 4)

    invoice_service.journal_link, credit_service.journal_link = version_1_restored()
    last_old = max(old, key=lambda d: getattr(d, "validated_at", None) or d.issued_at)
    new = invoice_sell(lines=[SaleLine("A", 1)], at=at(3, 9))
    assert (new.chain_version, new.chain_sequence) == (2, 5)
    assert new.previous_hash == last_old.chain_hash
    out = io.StringIO()
    call_command("journal", "verify", "--json", stdout=out)
    [doc] = [c for c in json.loads(out.getvalue())["chains"] if c["chain"] == "doc"]
    assert (doc["status"], doc["count"]) == ("whole", 5)
    # No stored hash was rewritten.
    assert {d.pk: d.chain_hash for d in Invoice.objects.filter(chain_version=None)} | {
        d.pk: d.chain_hash for d in CreditNote.objects.all()
    } == hashes


def test_an_altered_version_1_document_is_named(till: Till, version_1: None) -> None:
    _old_documents()
    invoice_service.journal_link, credit_service.journal_link = version_1_restored()
    invoice_sell(lines=[SaleLine("A", 1)], at=at(3, 9))
    note = CreditNote.objects.order_by("issued_at").first()
    assert note is not None
    with triggers_dropped("sales_creditnote"):
        raw(
            "UPDATE sales_creditnote SET total_incl_tax = total_incl_tax + 1 WHERE id = %s",
            _id(note.pk),
        )
    [result] = _documents(journal_verify())
    assert result.status == "broken"
    assert result.first is not None
    assert result.first.reason == "altered"
    found = result.first_record()
    assert found is not None
    assert found.obj.pk == note.pk


def version_1_restored() -> tuple[Any, Any]:
    from comptoir.journal.services import journal_link

    return journal_link, journal_link


def _id(pk: Any) -> str:
    from django.db import connection

    return pk.hex if connection.vendor == "sqlite" else str(pk)
