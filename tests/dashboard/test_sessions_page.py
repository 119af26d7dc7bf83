"""The managers' cash sessions page: float, expected, counted, over/short per session and
per cashier, filters, the Z (80 mm and A4), and another store's sessions never shown."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comptoir.accounts.services import account_store_set
from comptoir.cash.models import CashSession
from comptoir.cash.selectors import session_balances, session_search
from comptoir.cash.services import cash_out, session_close, session_open
from comptoir.sales.services import PaymentInput, SaleLine, invoice_sell
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.web.roles import CASHIER, MANAGER, role_set
from tests.factories import make_article


@dataclass
class Day:
    short: CashSession  # alice, 0,90 short
    over: CashSession  # alice, 2,00 over
    bob: CashSession  # bob, even, still open
    other: CashSession  # store B's, 77,70 short


def _client(name: str, role: str, store: Store | None) -> Client:
    user = get_user_model().objects.create_user(name, password="x-solide-123")
    role_set(user, role)
    account_store_set(user=user, store=store)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def day(till: Till) -> Day:
    make_article("VIN", "8.90", vat="20")
    session_open(amount="40", cashier="alice", till=till)
    invoice_sell(lines=[SaleLine("VIN", 1)], payments=[PaymentInput("cash", "8.90")], till=till)
    cash_out(amount="5", reason="Timbres", cashier="alice", till=till)
    short = session_close(counted="43", cashier="alice", till=till).session  # 43,90 expected
    session_open(amount="10", cashier="alice", till=till)
    over = session_close(counted="12", cashier="alice", till=till).session
    bob = session_open(amount="10", cashier="bob", till=till)
    store_b = store_get_or_create(name="Magasin Bis", currency="EUR")
    till_b = till_create(store=store_b, name="Caisse Bis", prefix="B1", node_id="node-bis")
    session_open(amount="777.70", cashier="zoé", till=till_b)
    other = session_close(counted="700", cashier="zoé", till=till_b).session
    return Day(short, over, bob, other)


def test_a_manager_sees_each_session_and_the_over_and_short_per_cashier(
    day: Day, till: Till
) -> None:
    manager = _client("gerante", MANAGER, till.store)
    page = manager.get(reverse("dashboard:sessions")).content.decode()
    assert f'data-session="C1-{day.short.number}"' in page
    assert "43,90" in page  # expected
    assert '<span class="short" data-difference="-90">' in page
    assert '<span class="over" data-difference="200">' in page
    assert "(manquant)" in page
    assert "(excédent)" in page
    assert reverse("dashboard:session_z", args=[day.short.pk]) in page
    # Alice: two closed sessions, 2,00 over and 0,90 short, 1,10 over net; Bob's is open.
    balances = page.split('id="balances"')[1].split("</section>")[0]
    assert 'data-cashier="alice"' in balances
    assert '<span class="over" data-difference="110">' in balances
    assert 'data-cashier="bob"' not in balances
    # Store B's session is not there, nor its cashier, nor its post.
    for marker in ("B1", "zoé", "777,70", "Caisse Bis"):
        assert marker not in page


def test_filters_by_cashier_post_and_period(day: Day, till: Till) -> None:
    manager = _client("gerante", MANAGER, till.store)
    url = reverse("dashboard:sessions")
    page = manager.get(url, {"cashier": "bob"}).content.decode()
    assert f'data-session="C1-{day.bob.number}"' in page
    assert f'data-session="C1-{day.short.number}"' not in page
    # A cashier of another store is not a filter this account may use: ignored.
    page = manager.get(url, {"cashier": "zoé", "till": "B1"}).content.decode()
    assert "zoé" not in page
    assert f'data-session="C1-{day.short.number}"' in page
    page = manager.get(url, {"from": "2000-01-01", "to": "2000-01-31"}).content.decode()
    assert "Aucune session de caisse sur cette période." in page


def test_a_chain_manager_on_the_hub_sees_every_store(day: Day) -> None:
    page = _client("chaine", MANAGER, None).get(reverse("dashboard:sessions")).content.decode()
    assert 'data-session="B1-1"' in page
    assert '<span class="short" data-difference="-7770">' in page


def test_the_z_prints_on_80_mm_and_a4_and_another_stores_is_a_404(day: Day, till: Till) -> None:
    manager = _client("gerante", MANAGER, till.store)
    url = reverse("dashboard:session_z", args=[day.short.pk])
    ticket = manager.get(url).content.decode()
    assert "print-ticket" in ticket
    assert "Rapport Z, session n° 1" in ticket
    assert "43,90" in ticket  # expected
    a4 = manager.get(url, {"print": "a4"}).content.decode()
    assert "print-a4" in a4
    assert manager.get(reverse("dashboard:session_z", args=[day.other.pk])).status_code == 404
    # An open session has no Z yet.
    assert manager.get(reverse("dashboard:session_z", args=[day.bob.pk])).status_code == 404


def test_a_cashier_does_not_see_the_sessions_page(day: Day, till: Till) -> None:
    cashier = _client("caissiere", CASHIER, till.store)
    for url in (
        reverse("dashboard:sessions"),
        reverse("dashboard:session_z", args=[day.short.pk]),
    ):
        response = cashier.get(url)
        assert response.status_code in (302, 403)
        assert "43,90" not in response.content.decode()


def test_balances_keep_currencies_apart(day: Day) -> None:
    store = store_get_or_create(name="Boutique de Dakar", currency="XOF")
    dakar = till_create(store=store, name="Caisse Dakar", prefix="D1", node_id="node-dakar")
    session_open(amount="5000", cashier="alice", till=dakar)
    session_close(counted="4000", cashier="alice", till=dakar)
    balances = {(b.cashier, b.currency): b for b in session_balances(sessions=session_search())}
    assert balances["alice", "EUR"].net == 110
    assert (balances["alice", "XOF"].net, balances["alice", "XOF"].sessions) == (-1000, 1)
    assert balances["zoé", "EUR"].short == -7770


def test_on_a_chains_hub_the_post_filter_is_a_field_not_a_menu_of_every_till(day: Day) -> None:
    from comptoir.dashboard.forms import TILL_MENU_LIMIT

    chain = _client("chaine", MANAGER, None)
    url = reverse("dashboard:sessions")
    assert 'value="B1"' in chain.get(url).content.decode()  # a few tills: a menu
    store = store_get_or_create(name="Magasin Ter", currency="EUR")
    for n in range(TILL_MENU_LIMIT):
        till_create(store=store, name=f"Caisse T{n}", prefix=f"T{n}")
    html = chain.get(url).content.decode()
    assert "Caisse T1 (T1)" not in html
    assert '<input type="search" name="till"' in html
    page = chain.get(url, {"till": "b1"}).content.decode()
    assert 'data-session="B1-1"' in page
    assert 'data-session="C1-1"' not in page
    assert 'value="B1"' in page  # the field keeps the series asked for
