"""Parked baskets and the basket discount in a real browser, with the keyboard only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import Site, make_till_site, screenshot
from tests.scenario.browser.test_pos import euros, open_till, piece_articles, scan

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


@pytest.fixture(scope="module")
def till_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = make_till_site(tmp_path_factory.mktemp("basket"), articles=10, days=1)
    try:
        yield site
    finally:
        site.server.stop()


def total_of(page: Page) -> int:
    return int(page.locator("#basket-totals").get_attribute("data-total") or "0")


def pay_exactly(page: Page) -> str:
    """F8, the exact amount in cash, Enter: the number of the invoice shown."""
    total = total_of(page)
    page.keyboard.press("F8")
    page.keyboard.type(euros(total))
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt")
    expect(receipt.get_by_role("heading")).to_contain_text("validée")
    number = re.search(r"C1-\d{4}-\d{6}", receipt.inner_text())
    assert number is not None
    return number.group(0)


def test_a_parked_basket_waits_while_the_next_customer_pays_then_is_sold_with_a_discount(
    page: Page, till_site: Site
) -> None:
    first, second = piece_articles(till_site, 2)
    open_till(page, till_site)

    scan(page, "2*" + first["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    parked_total = total_of(page)
    assert parked_total == int(Decimal(first["price"]) * 200)
    page.keyboard.press("F7")  # « Mettre en attente »
    expect(page.locator("#basket-lines tbody tr")).to_have_count(0)
    parked = page.locator("#parked-list li")
    expect(parked).to_have_count(1)
    expect(parked).to_contain_text("1 ligne")
    expect(parked).to_contain_text(euros(parked_total))
    expect(page.locator("#scan")).to_be_focused()

    # The next customer buys something else and pays.
    scan(page, second["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    expect(page.locator("#basket-lines")).to_contain_text(second["name"])
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(page.locator("#parked-list")).to_be_in_viewport()
    expect(page.locator("#pay_cash")).to_be_in_viewport()
    screenshot(page, "pos-parked-basket")
    pay_exactly(page)
    expect(page.locator("#parked-list li")).to_have_count(1)

    # The first customer is back: their basket, as it was, then 5 % off (F6).
    page.locator("#parked-list").get_by_role("button", name="Reprendre").click()
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    expect(page.locator("#basket-lines")).to_contain_text(first["name"])
    expect(page.locator("#parked-list li")).to_have_count(0)
    assert total_of(page) == parked_total
    page.keyboard.press("F6")
    expect(page.locator("#discount-input")).to_be_focused()
    page.keyboard.type("5 %")
    page.keyboard.press("Enter")
    off = int((Decimal(parked_total) * 5 / 100).quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    expect(page.locator("#basket-discount")).to_contain_text("Remise 5 %")
    expect(page.locator("#basket-discount")).to_contain_text(euros(off))
    expect(page.locator("#grand-total")).to_contain_text(euros(parked_total - off))
    number = pay_exactly(page)

    page.goto(f"{till_site.url}/caisse/ticket/{number}/")
    ticket = page.locator(".ticket")
    expect(ticket).to_contain_text(first["name"])
    expect(ticket.locator(".t-discount")).to_contain_text("Remise 5 %")
    expect(ticket.locator(".t-total")).to_contain_text(euros(parked_total - off))
    sold = till_site.json("invoice", "show", number)
    assert sold["discount"] == "5%"
