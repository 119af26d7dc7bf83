"""The hub's « Journal des conflits » in a real browser: two tills edit one price while
offline; the hub shows the conflict in words (the article by code and name, the field by
its French name, both prices in euros, both tills by name), and a plain edit made by a
till that had seen the value before it is not a conflict."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import login, screenshot
from tests.scenario.conftest import PASSWORD, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_the_hub_shows_a_real_conflict_in_words(page: Page, shop: Shop) -> None:
    hub = shop.hub_home
    shop.run(
        hub, "article", "add", "--code", "PAIN", "--name", "Pain de campagne", "--price", "1.05"
    )
    till_a, till_b = shop.add_till("Caisse A"), shop.add_till("Caisse B")

    # A plain edit: Caisse A had seen the name it replaces. Not a conflict.
    shop.run(till_a, "article", "set", "PAIN", "--name", "Pain de campagne bio")
    shop.sync(till_a)
    shop.sync(till_b)
    # Both tills change the price before either has synced: a real conflict.
    shop.run(till_a, "article", "set", "PAIN", "--price", "1.10")
    shop.run(till_b, "article", "set", "PAIN", "--price", "1.20")  # the later edit
    shop.sync(till_a)  # a plain successor on the hub
    shop.sync(till_b)  # concurrent with A's: 1.20 wins, 1.10 is kept in the log

    login(page, shop.hub, ("admin", PASSWORD))  # type: ignore[arg-type]
    page.goto(f"{shop.hub.url}/synchro/")
    rows = page.locator("#conflicts tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_contain_text("PAIN Pain de campagne bio")
    expect(row).to_contain_text("Prix de vente")
    expect(row.locator("td.kept")).to_contain_text("1,20\u00a0€")
    expect(row.locator("td.kept")).to_contain_text("Caisse B")
    expect(row.locator("td.lost")).to_contain_text("1,10\u00a0€")
    expect(row.locator("td.lost")).to_contain_text("Caisse A")
    expect(page.locator("#conflicts")).not_to_contain_text("sale_price")
    expect(page.locator("#conflicts")).not_to_contain_text("Désignation")
    screenshot(page, "journal-des-conflits")

    # The tills: a summary over all of them, then a filter used with the keyboard alone,
    # on a 1366x768 screen without a sideways scroll.
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(page.locator("#nodes-summary")).to_contain_text("2 caisses enrôlées")
    expect(page.locator("#nodes tbody tr")).to_have_count(2)
    state = page.locator("#nodes-filters select[name=etat]")
    state.focus()
    state.select_option("revoked")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("Caisse A")
    page.keyboard.press("Enter")
    expect(page.locator("#nodes-none")).to_be_visible()
    page.locator("#nodes-filters select[name=etat]").select_option("")
    page.locator("#nodes-filters input[name=q]").press("Enter")
    expect(page.locator("#nodes tbody tr")).to_have_count(1)
    expect(page.locator("#nodes")).to_contain_text("Caisse A")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
