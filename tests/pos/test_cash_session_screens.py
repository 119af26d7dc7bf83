"""The till's cash session screens: float, cash out, blind close, Z ticket."""

from __future__ import annotations

from comptoir.cash.models import CashSession
from comptoir.cash.services import session_open
from comptoir.sales.services import SaleLine, invoice_sell


def test_the_till_asks_for_the_float_when_no_session_is_open(cashier_client, catalogue):
    page = cashier_client.get("/caisse/").content.decode()
    assert "Aucune session de caisse n’est ouverte" in page
    form = cashier_client.get("/caisse/session/").content.decode()
    assert 'name="float"' in form
    assert 'name="d_5000"' in form  # the denomination grid of EUR


def test_open_cash_out_blind_close_and_z(cashier_client, catalogue):
    response = cashier_client.post("/caisse/session/ouvrir/", {"float": "", "d_2000": "2"})
    assert response.status_code == 302
    session = CashSession.objects.get()
    assert (session.float_amount, session.cashier) == (4000, "alice")
    assert "Aucune session" not in cashier_client.get("/caisse/").content.decode()
    invoice_sell(lines=[SaleLine("VIN", 1)])  # 8.90 cash
    cashier_client.post(
        "/caisse/session/mouvement/", {"kind": "out", "amount": "5", "reason": "Timbres"}
    )
    page = cashier_client.get("/caisse/session/").content.decode()
    assert "Timbres" in page
    assert "43,90" not in page  # blind: the expected amount is not shown before the count
    response = cashier_client.post(
        "/caisse/session/fermer/", {"session": str(session.pk), "counted": "43,00"}
    )
    assert response["Location"] == "/caisse/session/1/z/"
    z = cashier_client.get(response["Location"]).content.decode()
    assert "43,90" in z  # expected, shown after the count
    assert "-0,90" in z or "−0,90" in z
    # A second click on the close button closes nothing more.
    session_open(amount="0")
    again = cashier_client.post(
        "/caisse/session/fermer/", {"session": str(session.pk), "counted": "1"}
    )
    assert again.status_code == 302
    assert CashSession.objects.filter(closing__isnull=True).count() == 1
