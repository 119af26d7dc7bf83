"""The customer display's state (``/caisse/afficheur/etat.json``): follows the session's
basket, shows the last sale's change, answers 304 while nothing changed, and is scoped
to the session's own basket at this till."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.pos.views import display
from comptoir.web.roles import CASHIER
from tests.pos.conftest import PAIN_EAN, make_user
from tests.pos.test_till import pay, scan

pytestmark = pytest.mark.django_db


def state(client: Client, **headers: str) -> Any:
    response = client.get(reverse("pos:display_state"), headers=headers)
    assert response.status_code == 200
    return response.json()


def test_an_empty_till_shows_the_store_and_bienvenue(cashier_client, catalogue, till):
    assert state(cashier_client) == {
        "state": "idle",
        "store": till.store.name,
        "welcome": "Bienvenue",
    }


def test_the_display_follows_the_basket_being_rung_up(cashier_client, catalogue):
    scan(cashier_client, PAIN_EAN)
    scan(cashier_client, "0,350*FROM")
    data = state(cashier_client)
    assert data["state"] == "basket"
    assert [(ln["label"], ln["quantity"], ln["total"]) for ln in data["lines"]] == [
        ("Article PAIN", "1", "1,20\xa0€"),
        ("Article FROM", "0,350\xa0kg", "8,72\xa0€"),
    ]
    assert data["total"] == "9,92\xa0€"
    cashier_client.post(reverse("pos:line_remove", args=[1]), headers={"HX-Request": "true"})
    assert [ln["label"] for ln in state(cashier_client)["lines"]] == ["Article FROM"]


def test_after_validation_it_shows_the_total_the_amount_given_and_the_change(
    cashier_client, catalogue
):
    scan(cashier_client, "VIN")
    assert pay(cashier_client, cash="20")[0] == 200
    data = state(cashier_client)
    assert data["state"] == "thanks"
    assert (data["total"], data["given"], data["change"]) == (
        "8,90\xa0€",
        "20,00\xa0€",
        "11,10\xa0€",
    )
    assert data["thanks"] == "Merci de votre visite !"
    scan(cashier_client, "PAIN")  # the next customer
    assert state(cashier_client)["state"] == "basket"


def test_the_thanks_last_a_few_seconds_then_the_display_is_idle(
    cashier_client, catalogue, monkeypatch
):
    scan(cashier_client, "VIN")
    pay(cashier_client, cash="10")
    monkeypatch.setattr(display, "THANKS_SECONDS", 0)
    assert state(cashier_client)["state"] == "idle"


def test_an_unchanged_state_is_a_304_and_a_change_a_new_etag(cashier_client, catalogue):
    url = reverse("pos:display_state")
    first = cashier_client.get(url)
    etag = first["ETag"]
    again = cashier_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    scan(cashier_client, "PAIN")
    changed = cashier_client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_another_session_at_the_same_till_sees_only_its_own_basket(cashier_client, catalogue, till):
    scan(cashier_client, "VIN")
    pay(cashier_client, cash="10")
    scan(cashier_client, "PAIN")
    other = Client()
    other.force_login(make_user("bob", CASHIER))
    # Bob's display: neither Alice's basket nor Alice's last sale.
    assert state(other)["state"] == "idle"
    assert state(cashier_client)["state"] == "basket"


def test_the_display_speaks_the_stores_language_not_the_cashiers(
    cashier_client, catalogue, settings
):
    settings.LANGUAGE_CODE = "en"
    scan(cashier_client, "PAIN")
    data = state(cashier_client, **{"Accept-Language": "fr"})
    assert data["total_label"] == "Total incl. VAT"


def test_the_page_is_for_a_second_screen_without_links_or_forms(cashier_client, catalogue):
    scan(cashier_client, "PAIN")
    response = cashier_client.get(reverse("pos:display"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "pos/display.js" in html
    assert "<form" not in html
    assert "<a " not in html
    assert "Article PAIN" in html
    assert 'data-state="basket"' in html


def test_the_till_screen_links_to_the_display(cashier_client, catalogue):
    html = cashier_client.get(reverse("pos:index")).content.decode()
    assert reverse("pos:display") in html


def test_anonymous_visitors_are_sent_to_login(client, till):
    response = client.get(reverse("pos:display_state"))
    assert response.status_code == 302


def test_the_amount_received_and_the_change_show_as_the_cashier_types_them(
    cashier_client, catalogue
):
    """Before F9: what is left to pay, then the change (only cash gives change: a card
    above the total shows no change), for this basket only."""
    scan(cashier_client, "VIN")  # 8.90
    assert "given" not in state(cashier_client)
    url = reverse("pos:display_tendered")
    assert cashier_client.post(url, {"pay_cash": "5"}).status_code == 204
    data = state(cashier_client)
    assert (data["given"], data["change_label"], data["change"]) == (
        "5,00\xa0€",
        "Reste à payer",
        "3,90\xa0€",
    )
    cashier_client.post(url, {"pay_cash": "20", "pay_card": ""})
    data = state(cashier_client)
    assert (data["given"], data["change_label"], data["change"]) == (
        "20,00\xa0€",
        "Monnaie à rendre",
        "11,10\xa0€",
    )
    cashier_client.post(url, {"pay_card": "20"})
    data = state(cashier_client)
    assert data["given"] == "20,00\xa0€"
    assert "change" not in data
    cashier_client.post(url, {"pay_cash": "beaucoup"})
    assert "given" not in state(cashier_client)
    cashier_client.post(url, {"pay_cash": "20"})
    assert pay(cashier_client, cash="20")[0] == 200
    scan(cashier_client, "PAIN")  # the next customer's basket: nothing typed for it yet
    assert "given" not in state(cashier_client)
