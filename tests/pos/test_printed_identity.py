"""The store's identity on paper: the 80 mm receipt, the credit note's receipt and the A4
invoice print what the store settings hold."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from comptoir import __version__
from comptoir.customers.services import customer_create
from comptoir.sales.services import ReturnLine, SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.models import Store
from comptoir.stores.services import store_update

pytestmark = pytest.mark.django_db

IDENTITY = (
    "Boulangerie Martin SAS",
    "12 rue du Port",
    "69002 Lyon",
    "SIRET 73282932000074",
    "TVA FR44732829320",
    "Bienvenue chez Martin",
    "Ouvert 7 jours sur 7",
    f"comptoir {__version__}",
)


@pytest.fixture
def identity(store: Store) -> Store:
    return store_update(
        pk=store.pk,
        legal_name="Boulangerie Martin SAS",
        legal_form="SAS",
        address="12 rue du Port",
        postcode="69002",
        city="Lyon",
        siret="73282932000074",
        vat_number="FR44732829320",
        rcs="RCS Lyon 732 829 320",
        share_capital="10000",
        receipt_header="Bienvenue chez Martin",
        receipt_footer="Ouvert 7 jours sur 7",
        payment_terms="Paiement à 30 jours fin de mois",
        late_penalty_rate="12,5",
    )


def page(client: Client, name: str, number: str) -> str:
    response = client.get(reverse(name, args=[number]))
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_the_receipt_prints_the_store_identity_software_and_header_and_footer(
    cashier_client: Client, catalogue: None, identity: Store
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], cashier="alice")
    html = page(cashier_client, "pos:receipt", invoice.number)
    for text in IDENTITY:
        assert text in html, text
    assert "Merci de votre visite" not in html  # the store's footer replaces it


def test_the_credit_note_receipt_prints_the_same_identity(
    cashier_client: Client, catalogue: None, identity: Store
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 2)], cashier="alice")
    note = credit_note_issue(invoice_number=invoice.number, lines=[ReturnLine("PAIN", 1)])
    html = page(cashier_client, "pos:credit_note_receipt", note.number)
    for text in IDENTITY:
        assert text in html, text


def test_a_store_without_an_identity_still_prints_a_plain_receipt(
    cashier_client: Client, catalogue: None
) -> None:
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], cashier="alice")
    html = page(cashier_client, "pos:receipt", invoice.number)
    assert "Merci de votre visite" in html
    assert f"comptoir {__version__}" in html
    assert "SIRET" not in html


def test_the_a4_invoice_prints_the_seller_in_full_and_the_b2b_mentions(
    cashier_client: Client, catalogue: None, identity: Store
) -> None:
    customer_create(name="Café du Port", code="CAFE", siren="732829320")
    invoice = invoice_sell(lines=[SaleLine("VIN", 1)], customer="CAFE", cashier="alice")
    html = page(cashier_client, "pos:invoice_a4", invoice.number)
    for text in (
        "Boulangerie Martin SAS",
        "SAS au capital de 10\xa0000,00\xa0€",
        "12 rue du Port",
        "69002 Lyon",
        "SIRET : 73282932000074",
        "RCS Lyon 732 829 320",
        "N° de TVA intracommunautaire : FR44732829320",
        "Conditions de paiement : Paiement à 30 jours fin de mois",
        "pénalités au taux annuel de 12,50 %",
        "indemnité forfaitaire pour frais de recouvrement de 40 €",
        f"comptoir {__version__}",
    ):
        assert text in html, text


def test_without_a_rate_the_a4_invoice_says_the_legal_default(
    cashier_client: Client, catalogue: None
) -> None:
    invoice = invoice_sell(lines=[SaleLine("VIN", 1)], cashier="alice")
    html = page(cashier_client, "pos:invoice_a4", invoice.number)
    assert "trois fois le taux d’intérêt légal" in html
    assert "indemnité forfaitaire pour frais de recouvrement de 40 €" in html


def test_a_store_outside_france_prints_its_registration_number(
    cashier_client: Client, catalogue: None, store: Store
) -> None:
    store_update(pk=store.pk, country="SN", registration_number="SN DKR 2020 B 1234", city="Dakar")
    invoice = invoice_sell(lines=[SaleLine("PAIN", 1)], cashier="alice")
    assert "Immatriculation SN DKR 2020 B 1234" in page(
        cashier_client, "pos:receipt", invoice.number
    )
    a4 = page(cashier_client, "pos:invoice_a4", invoice.number)
    assert "N° d'immatriculation : SN DKR 2020 B 1234" in a4
    assert "Dakar (SN)" in a4
