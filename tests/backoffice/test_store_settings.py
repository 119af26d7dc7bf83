"""The store settings page: the manager fills in the legal identity that receipts print."""

from __future__ import annotations

from html import unescape
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create
from tests.factories import db_state

pytestmark = pytest.mark.django_db


def form_data(store: Store, **changes: str) -> dict[str, str]:
    from comptoir.backoffice.forms import StoreForm

    data = {k: "" if v is None else str(v) for k, v in StoreForm.initial_for(store).items()}
    return {**data, **changes}


def test_the_manager_fills_in_the_identity_and_sees_it_again(manager: Client, till: Till) -> None:
    page = manager.get(reverse("backoffice:store"))
    url = reverse("backoffice:store_edit", args=[till.store_id])
    assert page.status_code == 302
    assert page["Location"] == url
    assert "Raison sociale" in unescape(manager.get(url).content.decode())
    response = manager.post(
        url,
        form_data(
            till.store,
            legal_name="Épicerie Dupont SARL",
            siret="73282932000074",
            vat_number="FR44732829320",
            share_capital="7 500",
            fiscal_year_start="10",
            late_penalty_rate="9,5",
        ),
    )
    assert response.status_code == 302
    store = Store.objects.get(pk=till.store_id)
    assert (store.legal_name, store.siret, store.share_capital) == (
        "Épicerie Dupont SARL",
        "73282932000074",
        750_000,
    )
    assert (store.fiscal_year_start, str(store.late_penalty_rate)) == (10, "9.50")
    html = unescape(manager.get(url).content.decode())
    assert 'value="7500,00"' in html
    assert 'value="9,5"' in html
    assert '<option value="10" selected>octobre</option>' in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "12345678901234", "SIRET invalide : « 12345678901234 »"),
        ("vat_number", "FR12345", "Numéro de TVA intracommunautaire invalide"),
        ("late_penalty_rate", "cent", "Taux des pénalités de retard invalide"),
    ],
)
def test_a_bad_value_is_said_in_french_and_nothing_is_saved(
    manager: Client, till: Till, field: str, value: str, message: str
) -> None:
    url = reverse("backoffice:store_edit", args=[till.store_id])
    state = db_state()
    response = manager.post(url, form_data(till.store, legal_name="Dupont", **{field: value}))
    assert response.status_code == 200
    assert message in unescape(response.content.decode())
    assert db_state() == state


def test_cashiers_and_strangers_do_not_reach_the_page(
    cashier: Client, anonymous: Client, till: Till
) -> None:
    url = reverse("backoffice:store_edit", args=[till.store_id])
    assert cashier.get(url).status_code == 403
    assert cashier.post(url, {"legal_name": "Pirate"}).status_code == 403
    assert anonymous.get(url).status_code == 302
    assert Store.objects.get(pk=till.store_id).legal_name == ""


def test_a_manager_of_one_store_does_not_see_another_one(manager: Client, till: Till) -> None:
    from django.contrib.auth import get_user_model

    from comptoir.accounts.models import StaffScope

    other = store_get_or_create(name="Annexe")
    user = get_user_model().objects.get(username="gerant")
    StaffScope.objects.create(user=user, store=till.store)
    url = reverse("backoffice:store_edit", args=[other.pk])
    assert manager.get(url).status_code == 404
    assert manager.post(url, form_data(other, legal_name="Pirate")).status_code == 404
    assert Store.objects.get(pk=other.pk).legal_name == ""


def test_a_till_attached_to_a_hub_shows_the_identity_without_a_form_to_save(
    manager: Client, till: Till, settings: Any
) -> None:
    settings.COMPTOIR_ROLE = "node"
    settings.COMPTOIR_HUB_URL = "http://127.0.0.1:9"
    url = reverse("backoffice:store_edit", args=[till.store_id])
    html = unescape(manager.get(url).content.decode())
    assert "se modifient sur le serveur seulement" in html
    assert "Enregistrer" not in html
    state = db_state()
    manager.post(url, form_data(till.store, legal_name="Pirate"))
    assert db_state() == state
