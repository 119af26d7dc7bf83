"""The dashboard shows what the sales imply, per store and per till; managers only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comptoir.catalogue.services import article_update
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_sell,
)
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create, till_create
from tests.factories import make_article

DATA = reverse("dashboard:data")


@pytest.fixture
def articles(till: Till) -> None:
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    make_article("LIVRE", "15.00", vat="0", cost="0")


@pytest.fixture
def annex_till(articles: None) -> Till:
    annex = store_get_or_create(name="Annexe")
    return till_create(store=annex, name="Caisse annexe", prefix="A1", node_id="node-annex")


def _json(client: Client, **params: str) -> dict[str, Any]:
    response = client.get(DATA, params)
    assert response.status_code == 200, response.content
    return response.json()


def test_today_figures_equal_the_sales_made_today(manager: Client, till: Till, articles) -> None:
    first = invoice_sell(
        lines=[SaleLine("PAIN", 3), SaleLine("VIN", 1)],
        payments=[PaymentInput("cash", "20")],
        till=till,
    )
    second = invoice_sell(
        lines=[SaleLine("LIVRE", 1)], payments=[PaymentInput("card", "15")], till=till
    )
    data = _json(manager)
    today = data["periods"]["today"]
    total = first.total_incl_tax + second.total_incl_tax
    assert today["invoice_count"] == 2
    assert today["total_incl_tax"] == total == 3 * 120 + 890 + 1500
    assert today["average_basket"] == round(total / 2)
    assert data["periods"]["week"]["total_incl_tax"] == total
    assert data["periods"]["month"]["total_incl_tax"] == total
    assert data["by_day"][-1] == {
        "day": timezone.localdate().isoformat(),
        "invoice_count": 2,
        "revenue_incl_tax": total,
        "returns_incl_tax": 0,
        "net_incl_tax": total,
    }
    assert len(data["by_day"]) == 30
    # Cash is counted net of the change given back (20 € handed over for 12,50 €).
    assert {m["method"]: m["amount"] for m in data["by_method"]} == {"cash": 1250, "card": 1500}
    assert [a["code"] for a in data["top_by_revenue"]] == ["LIVRE", "VIN", "PAIN"]
    assert next(a["code"] for a in data["top_by_quantity"]) == "PAIN"
    excl = first.total_excl_tax + second.total_excl_tax
    assert data["margin"]["revenue_excl_tax"] == excl
    assert data["margin"]["cost"] == 3 * 40 + 400
    assert data["margin"]["margin"] == excl - 520
    # The book was sold with no cost price: the page says its margin is overstated.
    assert data["margin"]["revenue_without_cost"] == 1500


def test_returns_are_counted_apart_and_deducted_from_net(
    manager: Client, till: Till, articles
) -> None:
    sale = invoice_sell(lines=[SaleLine("VIN", 2)], till=till)
    credit_note_issue(invoice_number=sale.number, lines=[ReturnLine("VIN", 1)], till=till)
    today = _json(manager)["periods"]["today"]
    assert (today["total_incl_tax"], today["returns_incl_tax"]) == (1780, 890)
    assert today["net_incl_tax"] == 890
    assert today["credit_note_count"] == 1


def test_a_return_netting_a_costed_row_to_zero_is_not_revenue_without_cost(
    manager: Client, till: Till, articles
) -> None:
    # 1,00 € TTC at 20 %: one sold alone is 0,83 € HT, two on a line 1,67 € HT, so one of
    # those two returned is 0,84 € HT. Bob sells one and takes one back from Anne's sale:
    # his row nets to quantity 0 and cost 0, with -0,01 € HT of rounding left on it.
    make_article("STYLO", "1.00", vat="20", cost="0.50")
    anne = invoice_sell(lines=[SaleLine("STYLO", 2)], cashier="anne", till=till)
    invoice_sell(lines=[SaleLine("STYLO", 1)], cashier="bob", till=till)
    credit_note_issue(
        invoice_number=anne.number, lines=[ReturnLine("STYLO", 1)], cashier="bob", till=till
    )
    margin = _json(manager)["margin"]
    assert margin["revenue_excl_tax"] == 167 + 83 - 84
    assert margin["cost"] == 100
    assert margin["margin"] == 166 - 100
    assert margin["revenue_without_cost"] == 0  # not « Dont -0,01 € HT »
    response = manager.get(reverse("dashboard:index"))
    assert "sans coût de revient" not in response.content.decode()

    # An article sold with no cost price still counts, net of its own returns.
    book = invoice_sell(lines=[SaleLine("LIVRE", 2)], till=till)
    credit_note_issue(invoice_number=book.number, lines=[ReturnLine("LIVRE", 1)], till=till)
    assert _json(manager)["margin"]["revenue_without_cost"] == 1500


def test_sales_before_the_period_are_not_counted(manager: Client, till: Till, articles) -> None:
    invoice_sell(lines=[SaleLine("VIN", 1)], till=till, at=timezone.now() - timedelta(days=40))
    data = _json(manager)
    assert data["periods"]["today"]["invoice_count"] == 0
    assert sum(d["invoice_count"] for d in data["by_day"]) == 0
    assert data["top_by_revenue"] == []


def test_store_and_till_filters(manager: Client, till: Till, annex_till: Till) -> None:
    till2 = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    invoice_sell(lines=[SaleLine("VIN", 1)], payments=[PaymentInput("card", "8.90")], till=till2)
    invoice_sell(lines=[SaleLine("LIVRE", 1)], till=annex_till)

    def today(**params: str) -> tuple[int, int]:
        t = _json(manager, **params)["periods"]["today"]
        return t["invoice_count"], t["total_incl_tax"]

    assert today(store="") == (3, 120 + 890 + 1500)
    assert today(store=str(till.store_id)) == (2, 120 + 890)
    assert today(store=str(annex_till.store_id)) == (1, 1500)
    assert today(till=str(till2.pk)) == (1, 890)
    assert today(store=str(till.store_id), till=str(till.pk)) == (1, 120)
    by_till = _json(manager, till=str(till2.pk))
    assert [m["method"] for m in by_till["by_method"]] == ["card"]
    assert [a["code"] for a in by_till["top_by_revenue"]] == ["VIN"]
    # A till of another store is refused, not silently mixed.
    response = manager.get(DATA, {"store": str(annex_till.store_id), "till": str(till.pk)})
    assert response.status_code == 400
    assert "n'est pas dans le magasin" in str(response.json()["errors"])


def test_till_filter_counts_like_the_statistics(manager: Client, till: Till, articles) -> None:
    """With one till, figures summed from the facts equal the derived statistics'."""
    sale = invoice_sell(
        lines=[SaleLine("VIN", 3), SaleLine("PAIN", 2)],
        payments=[PaymentInput("card", "10"), PaymentInput("cash", "20")],
        till=till,
    )
    credit_note_issue(
        invoice_number=sale.number, lines=[ReturnLine("PAIN", 1)], refund_method="card", till=till
    )
    by_store = _json(manager, store=str(till.store_id))
    by_till = _json(manager, till=str(till.pk))
    for key in ("periods", "by_day", "by_method", "top_by_revenue", "margin"):
        assert by_till[key] == by_store[key], key


def test_the_till_filter_reads_the_statistics_not_the_facts(
    manager: Client, till: Till, articles
) -> None:
    """Revenue and payments are kept per till: the screen does not re-derive them from
    invoices, credit notes and payments with the statistics' rules."""
    till2 = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
    sale = invoice_sell(
        lines=[SaleLine("VIN", 2)], payments=[PaymentInput("cash", "20")], till=till2
    )
    credit_note_issue(invoice_number=sale.number, lines=[ReturnLine("VIN", 1)], till=till2)
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    with CaptureQueriesContext(connection) as queries:
        data = _json(manager, till=str(till2.pk))
    facts = ('FROM "sales_', 'JOIN "sales_')
    assert [q["sql"] for q in queries.captured_queries if any(f in q["sql"] for f in facts)] == []
    today = data["periods"]["today"]
    assert (today["invoice_count"], today["total_incl_tax"], today["returns_incl_tax"]) == (
        1,
        1780,
        890,
    )
    # 20.00 in cash for 17.80: 2.20 given back; the return refunded in cash.
    assert data["by_method"] == [{"method": "cash", "amount": 1780, "refunds": 890}]


def test_a_till_defaults_to_its_own_store(
    manager: Client, till: Till, annex_till: Till, settings
) -> None:
    settings.COMPTOIR_ROLE = "node"
    invoice_sell(lines=[SaleLine("LIVRE", 1)], till=annex_till)
    data = _json(manager)
    assert data["store"] == str(till.store_id)
    assert data["periods"]["today"]["invoice_count"] == 0
    # A till's accounts see the till's store only: « every store » is refused, and the
    # figures stay the till's store's.
    refused = manager.get(DATA, {"store": ""})
    assert refused.status_code == 400
    assert refused.json()["store"] == str(till.store_id)
    assert refused.json()["periods"]["today"]["invoice_count"] == 0
    settings.COMPTOIR_ROLE = "hub"
    assert _json(manager)["store"] is None
    assert _json(manager)["periods"]["today"]["invoice_count"] == 1


def test_low_stock_lists_articles_under_their_threshold(manager: Client, till: Till) -> None:
    make_article("PAIN", "1.20")
    make_article("VIN", "8.90")
    make_article("SEL", "0.90")
    article_update(code="PAIN", alert_threshold="10")
    article_update(code="VIN", alert_threshold="2")
    article_update(code="SEL", alert_threshold="5")  # never received: 0 in stock
    stock_receive(article="PAIN", quantity="4")
    stock_receive(article="VIN", quantity="30")
    response = manager.get(reverse("dashboard:index"))
    low = [row["code"] for row in response.context["low_stock"]]
    assert low == ["PAIN", "SEL"]


def test_the_page_draws_accessible_charts_and_tables(manager: Client, till: Till, articles) -> None:
    invoice_sell(lines=[SaleLine("VIN", 2)], payments=[PaymentInput("card", "17.80")], till=till)
    html = manager.get(reverse("dashboard:index")).content.decode()
    assert '<svg role="img" aria-labelledby="chart-days-title chart-days-desc"' in html
    assert '<title id="chart-days-title">' in html
    assert "17,80\u00a0€" in html  # today's figure, French formatting
    assert 'data-value="1780"><title>' in html  # the bar, with its tooltip
    assert 'id="table-days"' in html
    assert 'id="table-methods"' in html
    assert "Carte bancaire : 17,80" in html


def test_cashiers_may_not_open_the_dashboard(cashier: Client, db: None) -> None:
    assert cashier.get(reverse("dashboard:index")).status_code == 403
    assert cashier.get(DATA).status_code == 403


def test_the_dashboard_needs_a_login(client: Client, db: None) -> None:
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 302
    assert "/connexion/" in response["Location"]
