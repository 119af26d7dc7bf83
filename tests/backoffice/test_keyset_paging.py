"""Keyset paging of the invoice and credit-note lists, and the low-stock article count."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.backoffice.views import common, keyset
from comptoir.catalogue.services import article_update
from comptoir.customers.services import customer_create
from comptoir.sales.services import SaleLine, credit_note_issue, invoice_sell
from comptoir.stock.selectors import article_browse, article_browse_count
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from tests.factories import at, make_article

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:invoices")


@pytest.fixture
def per_page(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(common, "PER_PAGE", 2)
    return 2


@pytest.fixture
def sales(till: Till) -> dict[str, list[str]]:
    """Nine invoices, newest first per customer; several share a timestamp."""
    make_article("PAIN")
    martin = customer_create(name="Boulangerie Martin", code="MARTIN")
    durand = customer_create(name="Épicerie Durand", code="DURAND")
    times = [at(2), at(3), at(3), at(3), at(4), at(4), at(5), at(6), at(6)]
    buyers = [martin, durand, martin, martin, None, martin, durand, martin, martin]
    made = [
        invoice_sell(lines=[SaleLine("PAIN", 1)], at=when, customer=buyer)
        for when, buyer in zip(times, buyers, strict=True)
    ]
    # Newest first, ties by number descending: the list's order.
    ordered = sorted(made, key=lambda i: (i.validated_at, i.number), reverse=True)
    return {
        "all": [i.number for i in ordered],
        "martin": [i.number for i in ordered if i.customer_id == martin.pk],
        "with_customer": [i.number for i in ordered if i.customer_id is not None],
    }


def _page(client: Client, url: str, params: dict[str, str] | None = None) -> tuple[list[str], str]:
    response = client.get(url, params)
    assert response.status_code == 200
    return [doc.number for doc in response.context["page"]], response.content.decode()


def _link(content: str, rel: str) -> str | None:
    match = re.search(rf'href="([^"]*)" rel="{rel}"', content)
    return html.unescape(match.group(1)) if match else None


def _walk(client: Client, params: dict[str, str]) -> tuple[list[list[str]], str]:
    """Follow "next" from the first page; returns the pages and the last page's URL."""
    numbers, content = _page(client, LIST, params)
    pages, url = [numbers], LIST
    while (next_url := _link(content, "next")) is not None:
        url = LIST + next_url
        numbers, content = _page(client, url)
        pages.append(numbers)
        assert len(pages) < 20, "the next links loop"
    return pages, url


def test_next_pages_list_every_invoice_once_even_with_equal_timestamps(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    pages, _last = _walk(manager, {})
    assert [n for page in pages for n in page] == sales["all"]
    assert all(len(page) == per_page for page in pages[:-1])


@pytest.mark.parametrize("size", [1, 3])
def test_page_boundaries_inside_a_run_of_equal_timestamps(
    manager: Client, sales: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(common, "PER_PAGE", size)
    pages, _last = _walk(manager, {})
    assert [n for page in pages for n in page] == sales["all"]


def test_next_and_previous_keep_the_filter(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    pages, last = _walk(manager, {"customer": "martin"})
    assert [n for page in pages for n in page] == sales["martin"]
    assert "customer=martin" in last
    # And back up with "previous", page by page, to the first page.
    numbers, content = _page(manager, last)
    back = [numbers]
    while (previous := _link(content, "prev")) is not None:
        assert "customer=martin" in previous
        numbers, content = _page(manager, LIST + previous)
        back.append(numbers)
    assert back == pages[::-1]


def test_previous_from_a_short_page_shows_a_full_first_page(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    numbers, content = _page(manager, LIST, {"before": sales["all"][1]})
    assert numbers == sales["all"][:per_page]
    assert _link(content, "prev") is None
    assert _link(content, "next") is not None


def test_a_page_link_is_shareable_and_a_bad_cursor_gives_the_first_page(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    third = sales["all"][2]
    assert _page(manager, LIST, {"after": third})[0] == sales["all"][3:5]
    assert _page(manager, LIST, {"after": "NOPE-2026-000001"})[0] == sales["all"][:2]
    assert _page(manager, LIST, {"page": "2000"})[0] == sales["all"][:2]


def test_a_cursor_outside_the_filter_still_marks_a_place(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    durand = sales["all"][2]  # not Martin's: Martin has two newer, more older
    older = [n for n in sales["all"][3:] if n in sales["martin"]]
    numbers, content = _page(manager, LIST, {"customer": "martin", "after": durand})
    assert numbers == older[:2]
    previous = _link(content, "prev")
    assert previous is not None
    assert _page(manager, LIST + previous)[0] == sales["martin"][:2]
    oldest = sales["all"][-1]  # Martin's, nothing older
    numbers, content = _page(manager, LIST, {"customer": "durand", "after": oldest})
    assert numbers == []
    assert _link(content, "next") is None
    assert _link(content, "prev") is not None


def test_count_is_capped_and_labelled(
    manager: Client, sales: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "9 résultats" in _page(manager, LIST)[1]
    monkeypatch.setattr(keyset, "COUNT_CAP", 5)
    content = _page(manager, LIST)[1]
    assert "plus de 5 résultats" in content
    assert "9 résultats" not in content


def test_customer_filter_matches_name_part_or_whole_code(
    manager: Client, sales: dict[str, list[str]]
) -> None:
    assert _page(manager, LIST, {"customer": "boulangerie mart"})[0] == sales["martin"]
    assert _page(manager, LIST, {"customer": "MARTIN"})[0] == sales["martin"]
    assert _page(manager, LIST, {"customer": "MART"})[0] == sales["martin"]  # in the name
    assert _page(manager, LIST, {"customer": "personne"})[0] == []


def test_customer_filter_with_many_matching_customers(
    manager: Client, sales: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from comptoir.sales import selectors

    monkeypatch.setattr(selectors, "CUSTOMER_IDS_MAX", 1)  # a subquery, not a list
    assert _page(manager, LIST, {"customer": "e"})[0] == sales["with_customer"]


def test_credit_notes_page_by_keyset(
    manager: Client, sales: dict[str, list[str]], per_page: int
) -> None:
    notes = [credit_note_issue(invoice_number=n, reason="cassé").number for n in sales["all"][:3]]
    url = reverse("backoffice:credit_notes")
    first, content = _page(manager, url)
    next_url = _link(content, "next")
    assert next_url is not None
    second, _content = _page(manager, url + next_url)
    assert sorted(first + second) == sorted(notes)
    assert len(first) == 2
    assert len(second) == 1


def test_low_stock_count_agrees_with_the_list(till: Till) -> None:
    make_article("PAIN")  # stock 0, threshold 0: low
    make_article("LAIT")
    make_article("SEL")  # no stock level at all: 0, low
    make_article("RIZ")
    article_update(code="LAIT", alert_threshold="5")
    article_update(code="RIZ", alert_threshold="2")
    stock_receive(article="PAIN", quantity=2)
    invoice_sell(lines=[SaleLine("PAIN", 2)])  # back to 0, with a stock level
    stock_receive(article="LAIT", quantity=5)  # at the threshold: low
    stock_receive(article="RIZ", quantity=3)  # above: not low
    listed = [a.code for a in article_browse(low_stock=True)]
    assert listed == ["LAIT", "PAIN", "SEL"]
    assert article_browse_count(low_stock=True) == 3
    assert article_browse_count(low_stock=True, search="ai") == 2
    assert article_browse_count() == 4
