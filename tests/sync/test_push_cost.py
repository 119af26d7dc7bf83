"""What a push of one sale costs the hub, in queries: a bounded number, whatever the
store's history (a check that scans the till's chain, its alerts or its sales would grow
with it), and the same for the till's first sale and its hundredth."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import post_public_text
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Till
from comptoir.sync import wire
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.protocol import Change
from tests.factories import at, make_article
from tests.sync.helpers import fact_change

# The push of one signed sale (five lines, a payment), its chain checked on arrival:
# the credential's lock, the ordering domain, the received ids, the aggregate's
# existence and foreign keys (its articles; the post and its store are known), the
# inserts, the stock levels and statistics, the chain's records from the new one on,
# its predecessor and its state; the savepoints. SQLite inserts the missing stock levels
# apart and has no notify. (40 and 36 before the post was read once per push and the
# chain's state written once.)
MAX_QUERIES = {"sqlite": 33, "postgresql": 29}


def enrolled(*, key: str) -> NodeCredential:
    for n in range(5):
        make_article(f"ART{n}", "2.50")
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2", public_key=key)
    found = auth.credential_for(token)
    assert found is not None
    return found


@pytest.fixture
def cred(till: Till, settings: Any) -> NodeCredential:
    """A post enrolled with this process's public key: the sales made here are signed
    with it, so that the hub checks their chain as a real till's."""
    settings.COMPTOIR_ROLE = "hub"
    return enrolled(key=post_public_text()[0])


def sales(cred: NodeCredential, count: int) -> list[Change]:
    """``count`` sales of five lines made on the post (not kept here), as its pushes."""
    sid = transaction.savepoint()
    invoices = [
        invoice_sell(
            lines=[SaleLine(f"ART{k}", 1) for k in range(5)],
            till=cred.till,
            at=at(2, 8 + n // 60, n % 60),
        )
        for n in range(count)
    ]
    data = wire.fact_aggregates("sales.invoice", [i.pk for i in invoices])
    transaction.savepoint_rollback(sid)
    return [fact_change("sales.invoice", i.pk, data[i.pk]) for i in invoices]


def queries_of(cred: NodeCredential, change: Change) -> int:
    with CaptureQueriesContext(connection) as captured:
        [result] = hub.push_apply(cred, [change])
    assert result.status == "applied"
    return len(captured.captured_queries)


def test_a_push_of_one_sale_costs_the_same_queries_whatever_the_history(
    cred: NodeCredential,
) -> None:
    changes = sales(cred, 42)
    first = queries_of(cred, changes[0])
    for change in changes[1:40]:
        hub.push_apply(cred, [change])
    later = [queries_of(cred, change) for change in changes[40:]]
    assert ChainCheck.objects.get(till=cred.till, chain="doc").status == "whole"
    assert later == [later[0]] * len(later)
    assert later[0] <= MAX_QUERIES[connection.vendor]
    # The first record of a chain: its state is created, not updated.
    assert first <= MAX_QUERIES[connection.vendor] + 4


def test_the_chain_of_a_post_without_a_key_is_not_read_on_arrival(
    till: Till, settings: Any
) -> None:
    """A post enrolled before the fiscal journal has no key on the hub: there is nothing
    to check its chain with, so the push does not read it (its parts, its neighbours)."""
    settings.COMPTOIR_ROLE = "hub"
    cred = enrolled(key="")
    first, second = sales(cred, 2)
    hub.push_apply(cred, [first])
    with CaptureQueriesContext(connection) as captured:
        [result] = hub.push_apply(cred, [second])
    assert result.status == "applied"
    reads = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("SELECT")]
    assert not [sql for sql in reads if '"sales_invoiceline"' in sql or "chaincheck" in sql]
    assert not ChainCheck.objects.exists()


def test_a_requests_credential_is_one_query_without_the_store_row(
    till: Till, settings: Any
) -> None:
    """Every sync request reads its credential: with its post (the store's id), not the
    store's legal identity, which no sync request reads."""
    settings.COMPTOIR_ROLE = "hub"
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    with CaptureQueriesContext(connection) as captured:
        cred = auth.credential_for(token)
        assert cred is not None
        assert cred.till.store_id == till.store_id
    [query] = captured.captured_queries
    assert '"core_store"' not in query["sql"]
