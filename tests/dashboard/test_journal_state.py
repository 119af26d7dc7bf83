"""``comptoir status`` and the sync page show the fiscal journal's last known state."""

from __future__ import annotations

import io
import json
from typing import Any

from django.core.management import call_command
from django.urls import reverse

from comptoir.journal.verify import journal_verify
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from tests.factories import make_article
from tests.journal.conftest import raw, triggers_dropped


def test_status_and_the_sync_page_show_the_journal(till: Till, client_as: Any) -> None:
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)])
    second = invoice_sell(lines=[SaleLine("PAIN", 2)])
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Journal fiscal : pas encore vérifié" in out.getvalue()
    journal_verify()
    out = io.StringIO()
    call_command("status", stdout=out)
    assert "Journal fiscal : intègre" in out.getvalue()

    with triggers_dropped("sales_invoice"):
        raw(
            "UPDATE sales_invoice SET total_incl_tax = 1 WHERE number = %s",
            second.number,
        )
    journal_verify()
    out = io.StringIO()
    call_command("status", "--json", stdout=out)
    state = json.loads(out.getvalue())["journal"]
    assert state["status"] == "broken"
    assert state["problems"][0]["number"] == second.number
    assert state["problems"][0]["reason"] == "altered"
    html = client_as("manager").get(reverse("sync:index")).content.decode()
    assert 'id="journal-state" data-status="broken"' in html
    assert second.number in html
    assert Invoice.objects.count() == 2
