"""Invoice and credit-note lists: filters and paging."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.customers.services import customer_create
from comptoir.sales.services import SaleLine, credit_note_issue, invoice_sell
from comptoir.stores.models import Till
from tests.factories import at, make_article

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:invoices")


def numbers(client: Client, url: str = LIST, **params: str) -> list[str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [doc.number for doc in response.context["page"]]


@pytest.fixture
def sales(till: Till) -> list[str]:
    make_article("PAIN")
    martin = customer_create(name="Boulangerie Martin", code="MARTIN")
    first = invoice_sell(lines=[SaleLine("PAIN", 1)], at=at(2))
    second = invoice_sell(lines=[SaleLine("PAIN", 2)], at=at(3), customer=martin)
    third = invoice_sell(lines=[SaleLine("PAIN", 3)], at=at(4))
    return [first.number, second.number, third.number]


def test_newest_first_and_filters(manager: Client, sales: list[str]) -> None:
    first, second, third = sales
    assert numbers(manager) == [third, second, first]
    assert numbers(manager, date_from="2026-03-03", date_to="2026-03-03") == [second]
    assert numbers(manager, customer="martin") == [second]
    assert numbers(manager, customer="MARTIN") == [second]
    assert numbers(manager, number=first) == [first]
    assert numbers(manager, number=first[-3:]) == [first]
    till = Till.objects.get()
    assert numbers(manager, till=str(till.pk)) == [third, second, first]


def test_bad_filters_are_ignored_not_a_500(manager: Client, sales: list[str]) -> None:
    response = manager.get(LIST, {"date_from": "hier", "till": "nope", "page": "999"})
    assert response.status_code == 200


def test_credit_notes_are_listed(manager: Client, sales: list[str]) -> None:
    note = credit_note_issue(invoice_number=sales[0], reason="cassé")
    assert numbers(manager, reverse("backoffice:credit_notes")) == [note.number]
    page = manager.get(reverse("backoffice:invoice_detail", args=[sales[0]])).content.decode()
    assert note.number in page
