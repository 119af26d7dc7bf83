"""The till's session screens refuse bad input with a French message and write nothing:
a negative or invalid float (typed or counted), a second open session, a negative count,
closing twice, and a close form whose session id is garbled (a 404, not a server error)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from comptoir.cash.models import CashSession, CashSessionClosing
from comptoir.events.models import TechnicalEvent


def _messages(response: Any) -> list[str]:
    return [str(m.message) for m in response.context["messages"]]


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"float": "-5"}, "Le fond de caisse ne peut pas être négatif : « -5 »."),
        ({"float": "abc"}, "Montant invalide : « abc »."),
        ({"float": "", "d_2000": "-2"}, "Nombre de pièces ou de billets invalide"),
        ({"float": ""}, "Le fond de caisse est obligatoire."),
    ],
)
def test_a_bad_float_is_refused_and_opens_nothing(
    cashier_client: Client, catalogue: None, form: dict[str, str], message: str
) -> None:
    events = TechnicalEvent.objects.count()
    response = cashier_client.post("/caisse/session/ouvrir/", form, follow=True)
    assert response.status_code == 200
    assert any(m.startswith(message) for m in _messages(response)), _messages(response)
    assert not CashSession.objects.exists()
    assert TechnicalEvent.objects.count() == events


def test_a_second_session_and_a_second_close_are_refused(
    cashier_client: Client, catalogue: None
) -> None:
    cashier_client.post("/caisse/session/ouvrir/", {"float": "10"})
    response = cashier_client.post("/caisse/session/ouvrir/", {"float": "20"}, follow=True)
    assert (
        "Une session de caisse est déjà ouverte sur la caisse C1 (n° 1)" in (_messages(response)[0])
    )
    session = CashSession.objects.get()
    response = cashier_client.post(
        "/caisse/session/fermer/", {"session": str(session.pk), "counted": "-1"}, follow=True
    )
    assert _messages(response) == ["Le montant compté ne peut pas être négatif : « -1 »."]
    assert not CashSessionClosing.objects.exists()
    cashier_client.post("/caisse/session/fermer/", {"session": str(session.pk), "counted": "10"})
    response = cashier_client.post(
        "/caisse/session/fermer/", {"session": str(session.pk), "counted": "10"}, follow=True
    )
    assert _messages(response) == ["La session de caisse n° 1 est déjà fermée."]
    assert CashSessionClosing.objects.count() == 1


@pytest.mark.parametrize("value", ["", "abc", "1"])
def test_a_garbled_session_id_is_a_404_not_a_server_error(
    cashier_client: Client, catalogue: None, value: str
) -> None:
    cashier_client.post("/caisse/session/ouvrir/", {"float": "10"})
    response = cashier_client.post("/caisse/session/fermer/", {"session": value, "counted": "10"})
    assert response.status_code == 404
    assert not CashSessionClosing.objects.exists()
