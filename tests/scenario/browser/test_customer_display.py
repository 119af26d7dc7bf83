"""The customer display in a real browser: a second window of the cashier's session
follows the till's basket within a second, then shows the change and « Merci »."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, Site, login, make_till_site, screenshot
from tests.scenario.browser.test_pos import euros, piece_articles, scan

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


@pytest.fixture(scope="module")
def till_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = make_till_site(tmp_path_factory.mktemp("display"), articles=8, days=1)
    try:
        yield site
    finally:
        site.server.stop()


def test_the_display_follows_the_basket_then_shows_the_change(page: Page, till_site: Site) -> None:
    [article] = piece_articles(till_site, 1)
    login(page, till_site, CASHIER)
    expect(page).to_have_url(re.compile(r"/caisse/$"))
    # The cashier opens the display from the till screen (same session, no login).
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Afficheur client").click()
    display = opened.value
    display.set_viewport_size({"width": 1024, "height": 600})
    expect(display.locator(".display-welcome")).to_have_text("Bienvenue")
    expect(display.locator(".display-store")).to_be_visible()

    page.bring_to_front()
    page.locator("#scan").focus()
    scan(page, article["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    started = time.perf_counter()
    expect(display.locator("#display-lines tr")).to_contain_text(article["name"], timeout=1_000)
    print(f"  ligne à la caisse → afficheur : {(time.perf_counter() - started) * 1000:.0f} ms")
    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    expect(display.locator("#display-total")).to_contain_text(euros(total))
    # Readable from two metres: the total is at least 40 px high on a 600 px screen.
    height = display.locator("#display-total").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert height >= 40
    screenshot(display, "afficheur-client")

    tendered = (total // 1000 + 1) * 1000
    page.keyboard.press("F8")
    page.keyboard.type(str(tendered // 100))
    # As it is typed, before F9: the amount received and the change, on the display.
    expect(display.locator("#display-given")).to_contain_text(euros(tendered), timeout=1_500)
    expect(display.locator("#display-tendered-change")).to_contain_text(euros(tendered - total))
    page.keyboard.press("Enter")
    expect(page.locator("#receipt").get_by_role("heading")).to_contain_text("validée")
    expect(display.locator("#display-change")).to_contain_text(
        euros(tendered - total), timeout=1_000
    )
    expect(display.locator(".display-thanks-text")).to_be_visible()
