"""A pull page holds at most ``MAX_PAGE_FACTS`` documents, whatever the limit asked:
whole invoices weigh far more on the till that applies them than reference rows."""

from __future__ import annotations

import pytest

from comptoir.catalogue.services import category_get_or_create
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from tests.factories import at, make_article


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    make_article("PAIN", "1.20")
    token, _till = auth.enrollment_redeem(
        code=auth.enrollment_create(name="Caisse 2"), node_id="node-2"
    )
    found = auth.credential_for(token)
    assert found is not None
    return found


def test_a_page_stops_at_the_fact_budget_and_the_next_one_goes_on(
    cred: NodeCredential, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub, "MAX_PAGE_FACTS", 2)
    start = hub.log_head()
    sold = []
    for day in (2, 3, 4):  # one day: a new day would also bring the last one's closing
        category_get_or_create(name=f"Rayon {day}")
        sold.append(str(invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2, 8 + day)).pk))

    first = hub.pull_page(cred, start, 100)
    second = hub.pull_page(cred, first.cursor, 100)

    invoices = [
        [c.row for c in page.changes if c.model == "sales.invoice"] for page in (first, second)
    ]
    assert invoices == [sold[:2], sold[2:]]
    assert (first.more, second.more) == (True, False)
    assert [c.data.fields["name"] for c in first.changes if c.kind == "reference"] == [
        "Rayon 2",
        "Rayon 3",
        "Rayon 4",  # before the third sale: reference rows do not count
    ]
