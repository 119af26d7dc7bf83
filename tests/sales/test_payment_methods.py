"""Payment methods are data, per store (issue 18): the defaults, the rules each method's
data gives (reference required, change from cash only), and their sync from the hub."""

from __future__ import annotations

import importlib

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from comptoir.catalogue.services import article_create
from comptoir.journal.verify import chain_verify
from comptoir.lib.errors import ComptoirError
from comptoir.sales.models import (
    Invoice,
    Payment,
    PaymentMethod,
    method_seed_id,
    payment_method_name,
)
from comptoir.sales.selectors import (
    invoice_detail,
    payment_method_list,
    payment_method_names,
    payment_method_names_by_store,
    payment_rules,
)
from comptoir.sales.services import (
    PaymentInput,
    SaleLine,
    credit_note_issue,
    invoice_sell,
    payment_method_create,
    payment_method_update,
)
from comptoir.stores.models import Till
from comptoir.stores.services import store_get_or_create
from comptoir.sync.models import NodeCredential
from comptoir.syncengine import auth, hub
from comptoir.syncengine.apply import apply_batch
from tests.factories import db_state
from tests.sync.test_hub import node_edit, statuses

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(till: Till) -> None:
    article_create(code="PAIN", name="Pain", sale_price="1.30")


@pytest.fixture
def wave(till: Till) -> PaymentMethod:
    return payment_method_create(
        store=till.store, code="wave", name="Wave", kind="mobile", reference_required=True
    )


def sell(*payments: PaymentInput) -> Invoice:
    return invoice_sell(lines=[SaleLine("PAIN", 1)], payments=list(payments))


def test_a_store_has_the_four_methods_of_before_and_the_account_until_it_changes_them(till):
    methods = payment_method_list(store=till.store)
    assert [(m.code, m.name, m.kind) for m in methods] == [
        ("cash", "Espèces", "cash"),
        ("card", "Carte bancaire", "card"),
        ("cheque", "Chèque", "cheque"),
        ("mobile", "Paiement mobile", "mobile"),
        ("compte", "Sur compte", "account"),
    ]
    assert [m.code for m in methods if m.gives_change] == ["cash"]


def test_the_defaults_are_listed_not_stored_so_every_post_holds_the_same_rows(till):
    """An upgraded till (its store older than the payment methods) and a hub set up since
    hold the same rows: none until a method is edited (``verify`` counts stored rows),
    while both list the same five defaults, with the ids a later edit stores them under."""
    other = store_get_or_create(name="Annexe")
    assert not PaymentMethod.objects.exists()
    for store in (till.store, other):
        listed = payment_method_list(store=store)
        assert [m.code for m in listed] == ["cash", "card", "cheque", "mobile", "compte"]
        assert all(m.pk == method_seed_id(store.pk, m.code) for m in listed)
    migration = importlib.import_module("comptoir.sales.migrations.0006_payment_methods_as_data")
    assert not hasattr(migration, "seed_methods")


def _cash_names(till: Till) -> list[str]:
    store = till.store
    return [
        next(m.name for m in payment_method_list(store=store) if m.code == "cash"),
        payment_rules(store=store)["cash"].name,
        payment_method_names()["cash"],
        payment_method_names_by_store(store_ids=[store.pk])[store.pk]["cash"],
        payment_method_name(store.pk, "cash"),
    ]


def test_a_listed_default_is_named_in_the_active_language(till):
    with translation.override("en"):
        assert _cash_names(till) == ["Cash"] * 5
    with translation.override("fr"):
        assert _cash_names(till) == ["Espèces"] * 5


def test_a_stored_method_keeps_its_name_in_every_language(till):
    payment_method_update(store=till.store, code="cash", name="Liquide")
    for language in ("en", "fr"):
        with translation.override(language):
            assert _cash_names(till) == ["Liquide"] * 5


def test_a_receipt_names_the_method_in_the_language_its_record_holds_only_the_code(shelf, till):
    sale = sell(PaymentInput("cash", "2"))
    stored_hash = sale.chain_hash
    with translation.override("en"):
        [payment] = invoice_detail(number=sale.number).payments.all()
        assert payment.get_method_display() == "Cash"
        assert chain_verify(till, "invoice").status == "whole"
    with translation.override("fr"):
        [payment] = invoice_detail(number=sale.number).payments.all()
        assert payment.get_method_display() == "Espèces"
        assert chain_verify(till, "invoice").status == "whole"
    # The signed record holds the method's code, never its name.
    assert Payment.objects.get(invoice=sale).method == "cash"
    assert Invoice.objects.get(pk=sale.pk).chain_hash == stored_hash


def test_a_method_that_requires_a_reference_refuses_a_payment_without_one(shelf, wave):
    state = db_state()
    with pytest.raises(ComptoirError, match="référence"):
        sell(PaymentInput("wave", "1.30"))
    assert db_state() == state
    invoice = sell(PaymentInput("wave", "1.30", "TX-42"))
    [payment] = Payment.objects.filter(invoice=invoice)
    assert (payment.method, payment.amount, payment.reference) == ("wave", 130, "TX-42")
    assert payment.get_method_display() == "Wave"


def test_a_mobile_money_method_gives_no_change(shelf, wave):
    with pytest.raises(ComptoirError, match="rendu de monnaie"):
        sell(PaymentInput("wave", "2", "TX-1"))
    invoice = sell(PaymentInput("wave", "1", "TX-1"), PaymentInput("cash", "1"))
    assert invoice.change_given == 70


def test_a_reference_too_long_or_unprintable_is_refused(shelf, wave):
    for reference in ("X" * 61, "TX\x00"):
        with pytest.raises(ComptoirError):
            sell(PaymentInput("wave", "1.30", reference))
    assert not Invoice.objects.exists()


def test_an_inactive_method_is_refused_and_leaves_the_till(shelf, till):
    """A default method, never stored, is stored on its first edit."""
    payment_method_update(store=till.store, code="cheque", active=False)
    assert "cheque" not in payment_rules(store=till.store)
    stored = PaymentMethod.objects.get(store=till.store, code="cheque")
    assert stored.pk == method_seed_id(till.store.pk, "cheque")
    with pytest.raises(ComptoirError, match="inconnu"):
        sell(PaymentInput("cheque", "1.30"))
    payment_method_update(store=till.store, code="cheque", active=True)
    assert sell(PaymentInput("cheque", "1.30")).total_paid == 130


def test_methods_belong_to_their_store(shelf, till):
    other = store_get_or_create(name="Annexe")
    payment_method_create(store=other, code="om", name="Orange Money", kind="mobile")
    assert "om" not in payment_rules(store=till.store)
    with pytest.raises(ComptoirError, match="inconnu"):
        sell(PaymentInput("om", "1.30"))


def test_a_refund_goes_by_one_of_the_stores_active_methods(shelf, wave):
    invoice = sell(PaymentInput("wave", "1.30", "TX-1"))
    with pytest.raises(ComptoirError, match="inconnu"):
        credit_note_issue(invoice_number=invoice.number, refund_method="paypal")
    with pytest.raises(ComptoirError, match="client"):
        credit_note_issue(invoice_number=invoice.number, refund_method="compte")
    note = credit_note_issue(invoice_number=invoice.number, refund_method="wave")
    assert note.get_refund_method_display() == "Wave"


@pytest.mark.parametrize(
    ("code", "kind", "match"),
    [
        ("wave", "mobile", "déjà"),  # twice
        ("Wave Money", "mobile", "invalide"),
        ("wave2", "bitcoin", "Type"),
        ("especes2", "cash", "déjà son moyen"),  # the drawer reads the one cash method
        ("ardoise", "account", "déjà son moyen"),
    ],
)
def test_a_bad_method_is_refused(wave, till, code, kind, match):
    state = db_state()
    with pytest.raises(ComptoirError, match=match):
        payment_method_create(store=till.store, code=code, name="X", kind=kind)
    assert db_state() == state


def test_a_till_attached_to_a_hub_does_not_edit_methods(till):
    with (
        override_settings(COMPTOIR_ROLE="node", COMPTOIR_HUB_URL="https://hub.example"),
        pytest.raises(ComptoirError, match="serveur"),
    ):
        payment_method_create(store=till.store, code="wave", name="Wave", kind="mobile")


@pytest.fixture
def cred(till: Till) -> NodeCredential:
    code = auth.enrollment_create(name="Caisse 2")
    token, _till = auth.enrollment_redeem(code=code, node_id="node-2")
    found = auth.credential_for(token)
    assert found is not None
    return found


def test_a_method_added_on_the_hub_reaches_the_till_and_takes_payments(
    cred: NodeCredential, till: Till, shelf
) -> None:
    start = hub.log_head()
    sid = transaction.savepoint()
    payment_method_create(
        store=till.store, code="wave", name="Wave", kind="mobile", reference_required=True
    )
    page = hub.pull_page(cred, start, 100)
    transaction.savepoint_rollback(sid)  # the till's database: no Wave yet
    assert "wave" not in payment_rules(store=till.store)
    [change] = [c for c in page.changes if c.model == "sales.paymentmethod"]
    with override_settings(COMPTOIR_ROLE="node"):
        assert statuses(apply_batch([change], origin="hub")) == ["applied"]
        assert statuses(apply_batch([change], origin="hub")) == ["duplicate"]  # once
    assert payment_rules(store=till.store)["wave"].reference_required
    assert sell(PaymentInput("wave", "1.30", "TX-9")).payments.get().reference == "TX-9"


def test_a_till_cannot_change_a_method_through_a_push(cred: NodeCredential, wave) -> None:
    state = db_state()
    results = hub.push_apply(cred, [node_edit(wave, reference_required=False)])
    assert statuses(results) == ["rejected"]
    assert db_state() == state
