"""The managers' fiscal journal page: each post's chains (whole, pending, broken with the
first record and why), « Vérifier maintenant » (the check of ``journal verify``, recorded
as a technical event), and on the hub the posts of the account's stores only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from comptoir.accounts.services import account_store_set
from comptoir.cash.services import session_close, session_open
from comptoir.events.models import EventKind, TechnicalEvent
from comptoir.journal.models import ChainCheck
from comptoir.journal.postkey import post_public_text
from comptoir.sales.models import Invoice
from comptoir.sales.services import SaleLine, invoice_sell
from comptoir.stores.models import Store, Till
from comptoir.stores.services import store_get_or_create, till_create
from comptoir.web.roles import CASHIER, MANAGER, role_set
from tests.factories import make_article
from tests.journal.conftest import raw, triggers_dropped


def _client(name: str, role: str, store: Store | None) -> Client:
    user = get_user_model().objects.create_user(name, password="x-solide-123")
    role_set(user, role)
    account_store_set(user=user, store=store)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_till(till: Till) -> Till:
    """Store B's post (its records signed with this process's key, registered as its own),
    with a sale of its own."""
    store = store_get_or_create(name="Magasin Bis", currency="EUR")
    till_b = till_create(store=store, name="Caisse Bis", prefix="B1", node_id="node-bis")
    till_b.public_key = post_public_text()[0]  # as registered at its enrollment
    till_b.save(update_fields=["public_key"])
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till_b)
    return till_b


def _verify(client: Client, post: str, *, follow: bool = True) -> str:
    response = client.post(reverse("dashboard:journal_verify"), {"post": post}, follow=follow)
    return response.content.decode()


def test_verify_now_shows_every_chain_whole_and_records_the_event(
    till: Till, other_till: Till
) -> None:
    invoice_sell(lines=[SaleLine("PAIN", 2)], till=till)
    session_open(amount="10", cashier="alice", till=till)
    session_close(counted="10", cashier="alice", till=till)
    ChainCheck.objects.all().delete()  # as before any check
    manager = _client("gerante", MANAGER, till.store)
    page = manager.get(reverse("dashboard:journal")).content.decode()
    assert 'id="journal-C1" data-status="unknown"' in page
    assert "B1" not in page
    page = _verify(manager, "C1")
    assert "Poste C1 : journal fiscal intègre." in page
    assert 'id="journal-C1" data-status="whole"' in page
    assert 'data-chain="doc" data-status="whole"' in page
    assert 'data-chain="sess" data-status="whole"' in page
    assert reverse("backoffice:events") in page
    assert reverse("backoffice:closings") in page
    event = TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED).latest("number")
    assert event.details_data == {"outcome": "whole", "post": "C1"}
    assert event.user == "gerante"
    assert not ChainCheck.objects.filter(till=other_till).exists()  # checked C1 only


def test_a_broken_chain_names_its_first_record_and_why(till: Till) -> None:
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    second = invoice_sell(lines=[SaleLine("PAIN", 2)], till=till)
    with triggers_dropped("sales_invoice"):
        raw("UPDATE sales_invoice SET total_incl_tax = 1 WHERE number = %s", second.number)
    manager = _client("gerante", MANAGER, till.store)
    page = _verify(manager, "C1")
    assert "Poste C1 : journal fiscal NON intègre." in page
    assert 'id="journal-C1" data-status="broken"' in page
    row = page.split('data-chain="doc" data-status="broken"')[1].split("</tr>")[0]
    assert f"facture {second.number}" in row
    assert "(n° 2 dans la chaîne)" in row
    assert "modifié" in row  # the French reason
    event = TechnicalEvent.objects.filter(kind=EventKind.JOURNAL_VERIFIED).latest("number")
    assert event.details_data["outcome"] == "broken"
    assert Invoice.objects.count() == 2


def test_another_stores_post_cannot_be_seen_nor_checked(till: Till, other_till: Till) -> None:
    manager = _client("gerante", MANAGER, till.store)
    events = TechnicalEvent.objects.count()
    response = manager.post(reverse("dashboard:journal_verify"), {"post": "B1"})
    assert response.status_code == 404
    response = manager.post(reverse("dashboard:journal_verify"), {"post": ""})
    assert response.status_code == 404
    assert TechnicalEvent.objects.count() == events
    assert not ChainCheck.objects.filter(till=other_till).exists()
    # A chain manager sees and checks store B's post.
    chain = _client("chaine", MANAGER, None)
    page = _verify(chain, "B1")
    assert 'id="journal-B1" data-status="whole"' in page
    assert 'id="journal-C1"' in page


def test_a_cashier_cannot_check_the_journal(till: Till) -> None:
    cashier = _client("caissiere", CASHIER, till.store)
    events = TechnicalEvent.objects.count()
    assert cashier.get(reverse("dashboard:journal")).status_code in (302, 403)
    assert cashier.post(reverse("dashboard:journal_verify"), {"post": "C1"}).status_code in (
        302,
        403,
    )
    assert TechnicalEvent.objects.count() == events
    # A GET does not run the check.
    manager = _client("gerante", MANAGER, till.store)
    assert manager.get(reverse("dashboard:journal_verify")).status_code == 405


def test_on_a_chains_hub_posts_come_50_a_page_the_broken_first_and_are_searched(
    till: Till, settings
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from comptoir.dashboard.journal_views import POSTS_PER_PAGE

    settings.COMPTOIR_ROLE = "hub"
    store = store_get_or_create(name="Magasin Ter", currency="EUR")
    for n in range(POSTS_PER_PAGE):
        till_create(store=store, name=f"Caisse {n}", prefix=f"A{n:02d}", node_id=f"node-{n}")
    make_article("PAIN", "1.20")
    invoice_sell(lines=[SaleLine("PAIN", 1)], till=till)
    second = invoice_sell(lines=[SaleLine("PAIN", 2)], till=till)
    with triggers_dropped("sales_invoice"):
        raw("UPDATE sales_invoice SET total_incl_tax = 1 WHERE number = %s", second.number)
    manager = _client("chaine", MANAGER, None)
    _verify(manager, "C1")
    url = reverse("dashboard:journal")
    with CaptureQueriesContext(connection) as queries:
        first = manager.get(url).content.decode()
    # The posts are read a page at a time (a chain's hub has thousands), not all of them.
    tills = [q["sql"] for q in queries.captured_queries if 'FROM "core_till"' in q["sql"]]
    assert tills
    assert all("LIMIT" in sql or "COUNT(" in sql for sql in tills)
    assert first.count('class="card journal-post"') == POSTS_PER_PAGE
    assert first.index('id="journal-C1"') < first.index('id="journal-A00"')  # broken first
    assert "Page 1 sur 2" in first
    second_page = manager.get(url, {"page": "2"}).content.decode()
    assert second_page.count('class="card journal-post"') == 1
    found = manager.get(url, {"q": "a07"}).content.decode()
    assert found.count('class="card journal-post"') == 1
    assert 'id="journal-A07"' in found
    assert manager.get(url, {"q": "ter"}).content.decode().count("journal-post") == 50
