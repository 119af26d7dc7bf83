"""Customer credit (« ardoise »), issue 18: sales on account within the customer's limit
(a manager beyond it), settlements as chained facts, the derived balance, and both
travelling through sync exactly once."""

from __future__ import annotations

import copy

import pytest
from django.db import transaction
from django.test import override_settings

from comptoir.catalogue.services import article_create
from comptoir.customers.services import customer_create, customer_update
from comptoir.journal.verify import journal_outcome, journal_verify
from comptoir.lib.errors import ComptoirError
from comptoir.sales.models import AccountSettlement, Invoice
from comptoir.sales.selectors import customer_balance, customer_statement, receivables_list
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    account_settle,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stores.models import Till
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.apply import apply_batch
from tests.factories import at, db_state
from tests.sync.test_hub import statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(till: Till) -> None:
    article_create(code="RIZ", name="Riz 5 kg", sale_price="10.00")


@pytest.fixture
def awa(till: Till):
    return customer_create(code="AWA", name="Awa Diop", credit_limit="50")


def on_account(customer, quantity: int = 1, *, cash: str = "", **kwargs) -> Invoice:
    total = 1000 * quantity
    payments = [PaymentInput("compte", f"{total / 100 - float(cash or 0):.2f}")]
    if cash:
        payments.append(PaymentInput("cash", cash))
    return invoice_sell(
        lines=[SaleLine("RIZ", quantity)], payments=payments, customer=customer, **kwargs
    )


def test_a_sale_left_partly_unpaid_is_owed_by_the_customer(shelf, awa):
    on_account(awa, 2, cash="5")
    assert customer_balance(customer=awa) == 1500


def test_a_sale_on_account_needs_a_customer(shelf, awa):
    state = db_state()
    with pytest.raises(ComptoirError, match="demande un client"):
        invoice_sell(lines=[SaleLine("RIZ", 1)], payments=[PaymentInput("compte", "10")])
    assert db_state() == state


def test_beyond_the_limit_the_sale_is_refused_unless_a_manager_allows_it(shelf, awa):
    on_account(awa, 4)  # 40 of 50
    state = db_state()
    with pytest.raises(ComptoirError, match="Plafond de crédit de Awa Diop dépassé"):
        on_account(awa, 2)  # 60 > 50
    assert db_state() == state
    on_account(awa, 2, allow_over_limit=True)
    assert customer_balance(customer=awa) == 6000


def test_a_customer_without_a_limit_buys_on_account_only_with_a_manager(shelf):
    zoe = customer_create(name="Zoé")
    with pytest.raises(ComptoirError, match="Plafond"):
        on_account(zoe)
    on_account(zoe, allow_over_limit=True)
    assert customer_balance(customer=zoe) == 1000


def test_settlements_and_account_refunds_lower_the_balance_and_print_a_statement(shelf, awa):
    first = on_account(awa, 3, at=at(1))
    on_account(awa, 1, at=at(2))
    credit_note_issue(
        invoice_number=first.number, lines=[], refund_method="compte", at=at(3)
    )  # 30 back
    account_settle(customer="AWA", amount="4", method="cash", at=at(4))
    assert customer_balance(customer=awa) == 600
    rows = customer_statement(customer=awa)
    assert [(r.kind, r.debit, r.credit, r.balance) for r in rows] == [
        ("sale", 3000, 0, 3000),
        ("sale", 1000, 0, 4000),
        ("refund", 0, 3000, 1000),
        ("settlement", 0, 400, 600),
    ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"amount": "10.01"}, "ne doit que 10,00"),
        ({"amount": "0"}, "positif"),
        ({"method": "compte"}, "ne se règle pas"),
        ({"method": "paypal"}, "inconnu"),
    ],
)
def test_a_bad_settlement_is_refused_and_writes_nothing(shelf, awa, kwargs, match):
    on_account(awa)
    state = db_state()
    with pytest.raises(ComptoirError, match=match):
        account_settle(**{"customer": awa, "amount": "5", "method": "cash", **kwargs})
    assert db_state() == state


def test_a_settlement_is_chained_in_the_posts_journal_and_verifies(shelf, awa):
    on_account(awa, 2)
    first = account_settle(customer=awa, amount="5", method="cash")
    second = account_settle(customer=awa, amount="5", method="card")
    assert (first.chain_sequence, second.chain_sequence) == (1, 2)
    assert second.previous_hash == first.chain_hash
    assert second.signature
    results = journal_verify()
    assert "sett" in {r.chain for r in results}
    assert journal_outcome(results) == "whole"


def test_receivables_list_the_oldest_unpaid_debt_first(shelf, awa):
    ali = customer_create(code="ALI", name="Ali", credit_limit="100")
    on_account(awa, 1, at=at(3))
    on_account(ali, 1, at=at(1))
    on_account(ali, 1, at=at(5))
    account_settle(customer=ali, amount="10", method="cash", at=at(6))  # pays the 1st
    paid = customer_create(code="BOB", name="Bob", credit_limit="100")
    on_account(paid, 1, at=at(2))
    account_settle(customer=paid, amount="10", method="cash", at=at(2, 12))
    rows = receivables_list()
    assert [(r.customer.code, r.balance, r.oldest_debt) for r in rows] == [
        ("AWA", 1000, at(3)),
        ("ALI", 1000, at(5)),
    ]


# ---- through sync -----------------------------------------------------------------------


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def test_a_sale_on_account_at_one_till_counts_at_the_other_after_sync(
    shelf, awa, cred: NodeCredential
):
    """Till 2 sells 40 on account to Awa; once it is pushed and pulled here, this post's
    limit check knows it: a sale of 20 more is refused."""
    till2 = cred.till
    start = hub.log_head()
    sid = transaction.savepoint()
    on_account(awa, 4, till=till2)
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)  # this till's database: nothing known of it yet
    assert customer_balance(customer=awa) == 0
    changes = [c for c in page.changes if c.model == "sales.invoice"]
    with override_settings(COMPTOIR_ROLE="node"):
        assert statuses(apply_batch(changes, origin="hub")) == ["applied"]
        assert statuses(apply_batch(changes, origin="hub")) == ["duplicate"]
    assert customer_balance(customer=awa) == 4000
    with pytest.raises(ComptoirError, match="Plafond"):
        on_account(awa, 2)


def test_a_settlement_made_on_the_hub_reaches_the_till_exactly_once(
    shelf, awa, till: Till, cred: NodeCredential
):
    on_account(awa, 3, till=cred.till)
    start = hub.log_head()
    sid = transaction.savepoint()
    account_settle(customer=awa, amount="12.50", method="cash", till=till)
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)
    assert customer_balance(customer=awa) == 3000
    [change] = [c for c in page.changes if c.model == "sales.accountsettlement"]
    with override_settings(COMPTOIR_ROLE="node"):
        assert statuses(apply_batch([change], origin="hub")) == ["applied"]
        assert statuses(apply_batch([change], origin="hub")) == ["duplicate"]
    assert AccountSettlement.objects.count() == 1
    assert customer_balance(customer=awa) == 1750


def test_a_till_relays_another_till_s_settlement_only_as_it_was_signed(shelf, awa, till, cred):
    """A till may send another post's record of its store (after the hub's restore it
    sends back what the hub lost), but only as that post signed it: an altered
    settlement is refused and leaves nothing; the genuine one is taken once."""
    on_account(awa, 3)
    start = hub.log_head()
    sid = transaction.savepoint()
    account_settle(customer=awa, amount="5", method="cash", till=till)
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)
    [change] = [c for c in page.changes if c.model == "sales.accountsettlement"]
    altered = copy.deepcopy(change)
    altered.data.rows["sales.accountsettlement"][0]["amount"] = 50
    state = db_state()
    assert statuses(hub.push_apply(cred, [altered])) == ["rejected"]
    assert db_state() == state
    assert statuses(hub.push_apply(cred, [change])) == ["applied"]
    assert AccountSettlement.objects.filter(customer=awa).count() == 1


def test_a_customers_limit_is_edited_like_any_field(awa):
    customer_update(ref="AWA", credit_limit="75.50")
    awa.refresh_from_db()
    assert awa.credit_limit == 7550
    with pytest.raises(ComptoirError, match="négatif"):
        customer_update(ref="AWA", credit_limit="-1")
