"""A basket discount on a real sale: stored, chained, counted, and guarded by a manager."""

from decimal import Decimal

import pytest

from comptoir.fiscal.canonical import normalize, record_hash
from comptoir.journal.kinds import kind_get
from comptoir.journal.verify import journal_verify
from comptoir.lib.errors import NotFoundError, ValidationError
from comptoir.sales.errors import ApprovalRequiredError
from comptoir.sales.models import Invoice, InvoiceDraft
from comptoir.sales.services import (
    PaymentInput,
    ReturnLine,
    SaleLine,
    credit_note_issue,
    invoice_draft_add_line,
    invoice_draft_create,
    invoice_draft_park,
    invoice_draft_remove_line,
    invoice_draft_resume,
    invoice_draft_set_discount,
    invoice_sell,
    invoice_validate,
)
from comptoir.stats.models import DailyRevenue, DailyTax, SalesStat
from comptoir.stats.services import stats_rebuild
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.training.services import training_sale_validate, training_set
from tests.factories import at, make_article, stats_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(till):
    make_article("A", "10.00", vat="20", cost="4.00")
    make_article("B", "13.00", vat="5.5", cost="6.00")


def test_ten_percent_off_is_spread_over_the_lines_and_stored_as_printed(till, catalogue):
    invoice = invoice_sell(
        lines=[SaleLine("A", 1), SaleLine("B", 1)], discount="10%", at=at(3, 9), cashier="léa"
    )
    invoice.refresh_from_db()
    assert (invoice.discount, invoice.discount_amount) == ("10%", 230)
    assert invoice.discount_approved_by == ""
    lines = list(invoice.lines.order_by("position"))
    assert [(ln.basket_discount, ln.total_incl_tax) for ln in lines] == [(100, 900), (130, 1170)]
    assert sum(ln.basket_discount for ln in lines) == invoice.discount_amount
    assert invoice.total_incl_tax == 2070
    taxes = {t.vat_rate: (t.base_excl_tax, t.tax, t.total_incl_tax) for t in invoice.taxes.all()}
    assert taxes == {Decimal("5.50"): (1109, 61, 1170), Decimal("20.00"): (750, 150, 900)}
    assert invoice.total_paid == 2070


def test_an_amount_off_in_cfa_francs(till, settings):
    settings.COMPTOIR_CURRENCY = "XOF"
    store = store_get_or_create(name="Boutique de Dakar", currency="XOF")
    dakar = till_create(store=store, name="Dakar", prefix="D1", node_id="node-dakar")
    make_article("RIZ", "1500", vat="18", cost="900")
    make_article("EAU", "250", vat="18", cost="100")
    invoice = invoice_sell(
        lines=[SaleLine("RIZ", 2), SaleLine("EAU", 3)],
        discount="300",
        till=dakar,
        at=at(3, 9),
    )
    assert (invoice.currency, invoice.discount, invoice.discount_amount) == ("XOF", "300", 300)
    assert invoice.total_incl_tax == 3000 + 750 - 300
    # 300 × 3000/3750 = 240, 300 × 750/3750 = 60
    assert list(invoice.lines.order_by("position").values_list("basket_discount", flat=True)) == [
        240,
        60,
    ]


def test_a_discount_above_the_threshold_needs_a_manager(till, catalogue):
    draft = invoice_draft_create(till=till, cashier="léa")
    invoice_draft_add_line(draft=draft, line=SaleLine("A", 1))
    with pytest.raises(ApprovalRequiredError, match="gérant"):
        invoice_draft_set_discount(draft=draft, discount="15%")
    # An amount counts as its share of the basket: 1.50 of 10.00 is 15 %.
    with pytest.raises(ApprovalRequiredError):
        invoice_draft_set_discount(draft=draft, discount="1,50")
    draft.refresh_from_db()
    assert draft.discount == ""
    # At the threshold, no one needs asking; above it, a manager grants it.
    invoice_draft_set_discount(draft=draft, discount="1.00")
    invoice_draft_set_discount(draft=draft, discount="15%", approved_by="gerant")
    invoice = invoice_validate(draft=draft, payments=[PaymentInput("cash", "8.50")])
    assert (invoice.discount, invoice.discount_amount, invoice.discount_approved_by) == (
        "15%",
        150,
        "gerant",
    )


def test_a_basket_shrunk_under_its_amount_discount_is_refused_at_validation(till, catalogue):
    draft = invoice_draft_create(till=till)
    invoice_draft_add_line(draft=draft, line=SaleLine("A", 1))
    invoice_draft_add_line(draft=draft, line=SaleLine("B", 1))
    invoice_draft_set_discount(draft=draft, discount="2.00")  # 2.00 of 23.00: 8.7 %
    invoice_draft_remove_line(draft=draft, position=2)  # now 2.00 of 10.00: 20 %
    with pytest.raises(ApprovalRequiredError):
        invoice_validate(draft=draft, payments=[PaymentInput("cash", "8")])
    with pytest.raises(ValidationError, match="dépasse le total du panier"):
        invoice_draft_set_discount(draft=draft, discount="11", approved_by="gerant")
    assert not Invoice.objects.exists()


def test_the_threshold_is_a_setting(till, catalogue, settings):
    settings.COMPTOIR_DISCOUNT_THRESHOLD = 20
    invoice = invoice_sell(lines=[SaleLine("A", 1)], discount="20%")
    assert invoice.total_incl_tax == 800
    settings.COMPTOIR_DISCOUNT_THRESHOLD = 0
    with pytest.raises(ApprovalRequiredError, match="plus de 0 %"):
        invoice_sell(lines=[SaleLine("A", 1)], discount="0.01")


def test_the_discount_is_in_the_chained_values_and_an_invoice_without_one_hashes_as_before(
    till, catalogue
):
    plain = invoice_sell(lines=[SaleLine("A", 1)], at=at(3, 9))
    discounted = invoice_sell(
        lines=[SaleLine("A", 1), SaleLine("B", 2)], discount="5%", at=at(3, 10)
    )
    spec = kind_get("invoice")
    plain_values = spec.values(Invoice.objects.get(pk=plain.pk))
    # No discount: not a single new key, so the payload is the one made before discounts.
    assert "discount" not in plain_values
    assert all("basket_discount" not in line for line in plain_values["lines"])
    values = spec.values(Invoice.objects.get(pk=discounted.pk))
    assert normalize("invoice", values)["discount"] == "5%"
    assert normalize("invoice", values)["discount_amount"] == "1.80"
    assert [line["basket_discount"] for line in values["lines"]] == [50, 130]
    assert record_hash(2, "invoice", values, discounted.previous_hash) == discounted.chain_hash
    values["discount_amount"] += 1
    assert record_hash(2, "invoice", values, discounted.previous_hash) != discounted.chain_hash
    assert {r.status for r in journal_verify()} == {"whole"}


def test_statistics_count_the_discounted_amounts(till, catalogue):
    invoice = invoice_sell(lines=[SaleLine("A", 2), SaleLine("B", 1)], discount="10%", at=at(3, 9))
    revenue = DailyRevenue.objects.get()
    assert revenue.total_incl_tax == invoice.total_incl_tax == 3300 - 330
    assert sum(SalesStat.objects.values_list("revenue_incl_tax", flat=True)) == 2970
    assert SalesStat.objects.get(article__code="A").revenue_incl_tax == 2000 - 200
    assert sum(DailyTax.objects.values_list("base_excl_tax", flat=True)) == invoice.total_excl_tax
    before = stats_snapshot()
    stats_rebuild()
    assert stats_snapshot() == before


def test_a_return_refunds_what_the_line_was_paid_after_the_discount(till, catalogue):
    invoice = invoice_sell(lines=[SaleLine("A", 2), SaleLine("B", 1)], discount="10%", at=at(3, 9))
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("A", 1)])
    assert note.total_incl_tax == 900  # half of A's 18.00 after its share of the discount


def test_a_training_sale_prices_the_discount_as_an_invoice_does(till, catalogue):
    def ring() -> InvoiceDraft:
        draft = invoice_draft_create(till=till, cashier="léa")
        invoice_draft_add_line(draft=draft, line=SaleLine("A", 1))
        invoice_draft_add_line(draft=draft, line=SaleLine("B", 1))
        invoice_draft_set_discount(draft=draft, discount="2,30")
        return draft

    training_set(on=True, till=till, user="gerant")
    sale = training_sale_validate(draft=ring(), payments=[PaymentInput("cash", "30")])
    training_set(on=False, till=till, user="gerant")
    invoice = invoice_validate(draft=ring(), payments=[PaymentInput("cash", "30")])
    assert (sale.discount, sale.discount_amount, sale.total_incl_tax) == (
        invoice.discount,
        invoice.discount_amount,
        invoice.total_incl_tax,
    )
    fields = ("basket_discount", "total_incl_tax")
    assert list(sale.lines.order_by("position").values_list(*fields)) == list(
        invoice.lines.order_by("position").values_list(*fields)
    )


def test_parked_baskets_are_taken_back_once(till, catalogue):
    draft = invoice_draft_create(till=till, cashier="léa")
    with pytest.raises(ValidationError, match="vide"):
        invoice_draft_park(draft=draft)
    invoice_draft_add_line(draft=draft, line=SaleLine("A", 2))
    invoice_draft_set_discount(draft=draft, discount="5%")
    parked = invoice_draft_park(draft=draft, label="  Mme Martin ")
    assert parked.parked_at is not None
    assert parked.label == "Mme Martin"
    other = till_create(store=till.store, name="Caisse 2", prefix="C2", node_id="node-2")
    with pytest.raises(NotFoundError, match="introuvable"):
        invoice_draft_resume(till=other, draft_id=str(draft.pk))
    back = invoice_draft_resume(till=till, draft_id=str(draft.pk))
    assert back.parked_at is None
    with pytest.raises(NotFoundError, match="déjà été repris"):
        invoice_draft_resume(till=till, draft_id=str(draft.pk))
    with pytest.raises(NotFoundError, match="introuvable"):
        invoice_draft_resume(till=till, draft_id="not-a-uuid")
    invoice = invoice_validate(draft=back, payments=[PaymentInput("cash", "19")])
    assert (invoice.discount, invoice.total_incl_tax) == ("5%", 1900)
