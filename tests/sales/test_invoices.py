from decimal import Decimal

import pytest

from comptoir.customers.services import customer_create
from comptoir.lib.errors import ComptoirError, NotFoundError, ValidationError
from comptoir.sales.models import Invoice, InvoiceDraft, InvoiceDraftLine
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    discount_parse,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_draft_remove_line,
    invoice_sell,
    invoice_validate,
)
from comptoir.stock.models import MovementKind, StockMovement
from comptoir.stock.selectors import stock_level
from tests.factories import at, db_state, make_article


@pytest.fixture
def catalogue(till):
    make_article("PAIN", "1.20", vat="5.5", cost="0.40")
    make_article("VIN", "8.90", vat="20", cost="4.00")
    make_article("FROM", "24.90", vat="5.5", cost="12.00", unit="kg")
    make_article("OLD", "1.00")
    from comptoir.catalogue.services import article_update

    article_update(code="OLD", archived=True)


def test_a_draft_is_rung_up_line_by_line_and_validated_into_an_invoice(till, catalogue):
    customer = customer_create(name="Mme Martin", code="MARTIN")
    draft = invoice_draft_create(till=till, customer="MARTIN", cashier="alice")
    invoice_draft_add_line(draft=draft, line=SaleLine("PAIN", 3))
    invoice_draft_add_line(draft=draft, line=SaleLine("VIN", 1))
    invoice_draft_add_line(draft=draft, line=SaleLine("FROM", "0,350", discount_rate="10"))
    invoice_draft_remove_line(draft=draft, position=2)
    invoice_draft_add_line(draft=draft, line=SaleLine("VIN", 2))
    assert [line.position for line in draft.lines.all()] == [1, 3, 4]

    invoice = invoice_validate(draft=draft, payments=[PaymentInput("cash", "30")], at=at(10, 9, 30))

    invoice.refresh_from_db()
    assert invoice.number == "C1-2026-000001"
    assert (invoice.customer, invoice.customer_name, invoice.cashier) == (
        customer,
        "Mme Martin",
        "alice",
    )
    lines = list(invoice.lines.order_by("position"))
    assert [(ln.position, ln.article_code, ln.quantity) for ln in lines] == [
        (1, "PAIN", Decimal(3)),
        (2, "FROM", Decimal("0.350")),
        (3, "VIN", Decimal(2)),
    ]
    # 3 × 1.20 = 3.60; 0.350 × 24.90 = 8.715 → 8.72 − 10 % (0.87) = 7.85; 2 × 8.90 = 17.80
    assert [ln.total_incl_tax for ln in lines] == [360, 785, 1780]
    assert lines[1].discount_amount == 87
    assert invoice.total_incl_tax == 2925
    assert invoice.total_excl_tax + invoice.total_tax == invoice.total_incl_tax
    taxes = {t.vat_rate: (t.base_excl_tax, t.tax, t.total_incl_tax) for t in invoice.taxes.all()}
    # 5.5 %: 11.45 TTC → 10.85 + 0.60; 20 %: 17.80 TTC → 14.83 + 2.97
    assert taxes == {Decimal("5.50"): (1085, 60, 1145), Decimal("20.00"): (1483, 297, 1780)}
    assert (invoice.total_paid, invoice.change_given) == (3000, 75)
    assert invoice.total_cost == 3 * 40 + 420 + 2 * 400  # 0.350 × 12.00 = 4.20
    assert not InvoiceDraft.objects.exists()
    assert not InvoiceDraftLine.objects.exists()
    movements = {
        m.article.code: (m.kind, m.quantity, m.occurred_at)
        for m in StockMovement.objects.filter(invoice=invoice).select_related("article")
    }
    assert movements == {
        "PAIN": (MovementKind.SALE, Decimal(-3), at(10, 9, 30)),
        "VIN": (MovementKind.SALE, Decimal(-2), at(10, 9, 30)),
        "FROM": (MovementKind.SALE, Decimal("-0.350"), at(10, 9, 30)),
    }


def test_a_draft_has_no_number_until_it_is_validated(till, catalogue):
    draft = invoice_draft_create(till=till)
    invoice_draft_add_line(draft=draft, line=SaleLine("PAIN", 1))
    assert not Invoice.objects.exists()
    assert not hasattr(draft, "number")


def test_a_draft_line_that_is_not_there_cannot_be_removed(till, catalogue):
    draft = invoice_draft_create(till=till)
    with pytest.raises(NotFoundError, match="introuvable"):
        invoice_draft_remove_line(draft=draft, position=1)


def test_a_draft_is_validated_once_only(till, catalogue):
    draft = invoice_draft_create(till=till)
    invoice_draft_add_line(draft=draft, line=SaleLine("PAIN", 1))
    invoice_validate(draft=draft, payments=[PaymentInput("card", "1.20")])
    before = db_state()
    with pytest.raises(NotFoundError, match="introuvable"):
        invoice_validate(draft=draft, payments=[PaymentInput("card", "1.20")])
    assert db_state() == before


def test_an_empty_draft_cannot_be_validated(till, catalogue):
    draft = invoice_draft_create(till=till)
    with pytest.raises(ComptoirError, match="aucune ligne"):
        invoice_validate(draft=draft, payments=[])
    assert not Invoice.objects.exists()


def test_a_sale_without_payments_is_paid_exactly_in_cash(till, catalogue):
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2), SaleLine("VIN", 1)])
    payments = list(invoice.payments.values_list("method", "amount"))
    assert payments == [("cash", 1130)]
    assert (invoice.total_paid, invoice.change_given) == (1130, 0)
    assert invoice.till == till


def test_a_sale_paid_by_card_and_cash_gives_change_from_the_cash(till, catalogue):
    invoice = invoice_sell(
        lines=[SaleLine("VIN", 1)],
        payments=[PaymentInput("card", "5"), PaymentInput("cash", "5")],
    )
    assert (invoice.total_incl_tax, invoice.total_paid, invoice.change_given) == (890, 1000, 110)
    assert list(invoice.payments.order_by("position").values_list("method", "amount")) == [
        ("card", 500),
        ("cash", 500),
    ]


def test_a_sale_by_barcode_finds_the_article(till):
    make_article("A", "2.00", barcodes=["3017620422003"])
    invoice = invoice_sell(lines=[SaleLine("3017620422003", 1)])
    assert invoice.lines.get().article_code == "A"


def test_a_sale_with_no_stock_makes_the_level_negative_never_refused(till, catalogue):
    invoice = invoice_sell(lines=[SaleLine("VIN", 4)])
    assert stock_level(article_id=invoice.lines.get().article_id, store_id=till.store_id) == -4


@pytest.mark.parametrize(
    ("lines", "payments", "keyword"),
    [
        ([SaleLine("INCONNU", 1)], None, "Article inconnu"),
        ([SaleLine("PAIN", 1), SaleLine("INCONNU", 1)], None, "Article inconnu"),
        ([SaleLine("PAIN", 0)], None, "nulle"),
        ([SaleLine("PAIN", -2)], None, "positive"),
        ([SaleLine("PAIN", "1.5")], None, "entière"),
        ([SaleLine("FROM", "0.3505")], None, "3 décimales"),
        ([SaleLine("PAIN", "abc")], None, "Quantité invalide"),
        ([SaleLine("OLD", 1)], None, "archivé"),
        ([SaleLine("PAIN", 1, discount_rate="120")], None, "Remise invalide"),
        ([SaleLine("PAIN", 1, discount_rate="1,23.5")], None, "Remise invalide"),
        ([SaleLine("PAIN", 1, discount_rate="1e1")], None, "Remise invalide"),
        ([SaleLine("PAIN", 1)], [PaymentInput("cash", "1.19")], "Paiement insuffisant"),
        ([SaleLine("PAIN", 1)], [PaymentInput("cash", "1.205")], "au plus 2 décimale"),
        ([SaleLine("PAIN", 1)], [PaymentInput("card", "2.00")], "espèces"),
        ([SaleLine("PAIN", 1)], [PaymentInput("bitcoin", "1.20")], "Moyen de paiement inconnu"),
        ([SaleLine("PAIN", 1)], [PaymentInput("cash", "-1.20")], "positif"),
        ([], [], "aucune ligne"),
    ],
)
def test_a_bad_sale_is_refused_in_french_and_writes_nothing(
    till, catalogue, lines, payments, keyword
):
    invoice_sell(lines=[SaleLine("PAIN", 1)])  # the series and levels already exist
    before = db_state()
    with pytest.raises(ComptoirError, match=keyword):
        invoice_sell(lines=lines, payments=payments)
    assert db_state() == before


@pytest.mark.parametrize(
    ("typed", "rate"),
    [
        ("10", "10.00"),
        ("12,5", "12.50"),
        ("12.5", "12.50"),
        ("12,5 %", "12.50"),
        (" 12.50% ", "12.50"),
        ("\u202f12,5\u00a0%", "12.50"),
        ("100", "100.00"),
        ("-0", "0.00"),
        (10, "10.00"),
        (Decimal("12.5"), "12.50"),
        (Decimal("2E+1"), "20.00"),  # a Decimal is taken as it is, not as its text
    ],
)
def test_a_discount_is_read_in_any_usual_writing(typed, rate):
    assert discount_parse(typed) == Decimal(rate)


@pytest.mark.parametrize(
    "typed",
    [
        "1 234,5",
        "1,234.5",
        "1,23.5",
        "1.234.5",
        "1e1",
        "1e3",
        "NaN",
        "abc",
        "",
        "-1",
        "100.01",
        "12.345",
        Decimal("NaN"),
        -1,
    ],
)
def test_a_bad_discount_is_refused_in_french(typed):
    with pytest.raises(ValidationError, match="Remise invalide"):
        discount_parse(typed)


def test_a_sale_for_an_unknown_customer_is_refused_and_writes_nothing(till, catalogue):
    before = db_state()
    with pytest.raises(NotFoundError, match="Client inconnu"):
        invoice_sell(lines=[SaleLine("PAIN", 1)], customer="PERSONNE")
    assert db_state() == before


def test_an_archived_article_cannot_be_added_to_a_draft(till, catalogue):
    draft = invoice_draft_create(till=till)
    with pytest.raises(ComptoirError, match="archivé"):
        invoice_draft_add_line(draft=draft, line=SaleLine("OLD", 1))
    assert not draft.lines.exists()


def test_without_a_till_for_this_post_nothing_can_be_sold(store):
    make_article("A")
    with pytest.raises(NotFoundError, match="Aucune caisse"):
        invoice_sell(lines=[SaleLine("A", 1)])
    assert not Invoice.objects.exists()
