"""Push requests are bounded by rows (a whole invoice is one), not by outbox entries, and
an acknowledged invoice is never sent again."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell
from comptoir.sync.models import OutboxEntry
from comptoir.syncengine import engine
from comptoir.syncengine.protocol import Change, PushReply, Result
from tests.factories import make_article


class RecordingHub:
    """Applies nothing, acknowledges everything, and keeps what each push carried."""

    last_hub_time = None

    def __init__(self) -> None:
        self.pushes: list[list[tuple[str, str]]] = []

    def push(self, changes: list[Change], *, pending: int | None = None) -> PushReply:
        self.pushes.append([(c.model, c.row) for c in changes])
        return PushReply(results=[Result(c.id, "applied") for c in changes])


def _sell(count: int) -> list[str]:
    return [
        str(
            invoice_sell(
                lines=[SaleLine("PAIN", 1), SaleLine("VIN", 2)],
                payments=[PaymentInput("cash", "50")],
            ).pk
        )
        for _ in range(count)
    ]


@override_settings(COMPTOIR_ROLE="node")
def test_a_push_carries_whole_invoices_up_to_the_row_budget(
    till: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_article("PAIN", "1.20")
    make_article("VIN", "8.90")
    OutboxEntry.objects.all().delete()
    invoices = _sell(7)
    assert OutboxEntry.objects.count() == len(invoices)  # one entry per sale
    # An outbox written by an older version held one entry per table a sale filled: the
    # push still folds them into one change per invoice.
    OutboxEntry.objects.all().delete()
    OutboxEntry.objects.bulk_create(
        [OutboxEntry(model="sales.invoice", row_id=pk) for pk in invoices for _n in range(5)]
    )
    monkeypatch.setattr(engine, "PUSH_ROOTS", 3)
    monkeypatch.setattr(engine, "PUSH_SCAN", 4)  # fewer than one sale's entries
    hub = RecordingHub()

    report = engine.push(hub)  # type: ignore[arg-type]

    assert [len(p) for p in hub.pushes] == [3, 3, 1]
    sent = [row for push in hub.pushes for _label, row in push]
    assert sent == invoices  # in sale order, each once
    assert report.sent["sales.invoice"] == 7
    assert not OutboxEntry.objects.exists()
