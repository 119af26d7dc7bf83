"""An invoice with a basket discount travels to the hub whole: fields, lines and chain."""

from __future__ import annotations

from django.db import transaction

from comptoir.journal.models import ChainCheck
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.sync import wire
from comptoir.sync.models import IntegrityAlert, NodeCredential
from comptoir.syncengine import hub
from tests.factories import at
from tests.journal.test_arrival import cred  # noqa: F401  (the enrolled till C2)
from tests.sync.helpers import fact_change


def test_a_discounted_invoice_is_applied_and_verified_on_the_hub(cred: NodeCredential) -> None:  # noqa: F811
    sid = transaction.savepoint()
    invoices = [
        invoice_sell(lines=[SaleLine("PAIN", 3)], till=cred.till, at=at(2)),
        invoice_sell(
            lines=[SaleLine("PAIN", 4)],
            discount="0,40",
            till=cred.till,
            at=at(3),
        ),
    ]
    data = wire.fact_aggregates("sales.invoice", [i.pk for i in invoices])
    transaction.savepoint_rollback(sid)
    changes = [fact_change("sales.invoice", i.pk, data[i.pk]) for i in invoices]
    assert [r.status for r in hub.push_apply(cred, changes)] == ["applied", "applied"]
    assert ChainCheck.objects.get(till=cred.till, chain="doc").status == "whole"
    assert not IntegrityAlert.objects.exists()
    arrived = Invoice.objects.get(pk=invoices[1].pk)
    assert (arrived.discount, arrived.discount_amount, arrived.total_incl_tax) == ("0.40", 40, 440)
    assert list(arrived.lines.values_list("basket_discount", flat=True)) == [40]
    assert Invoice.objects.get(pk=invoices[0].pk).discount == ""
