"""A till and its hub in a real browser: the badge follows the hub going away and coming
back, « Synchroniser maintenant » says why it failed, and the hub lists its tills."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, MANAGER, login, screenshot
from tests.scenario.conftest import PASSWORD, Shop

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_the_badge_follows_the_hub_and_the_hub_lists_its_tills(page: Page, shop: Shop) -> None:
    shop.run(
        shop.hub_home, "article", "add", "--code", "CAF250", "--name", "Café moulu 250 g",
        "--price", "3.90", "--vat", "5.5",
    )  # fmt: skip
    home = shop.add_till("Caisse 1")
    shop.run(home, "user", "add", CASHIER[0], "--role", "cashier", "--password", CASHIER[1])
    shop.run(home, "user", "add", MANAGER[0], "--role", "manager", "--password", MANAGER[1])
    shop.run(home, "session", "open", "--float", "0")  # the sale below changes one thing
    till = shop.serve(home, "caisse1")

    login(page, till, CASHIER)  # type: ignore[arg-type]
    page.goto(f"{till.url}/synchro/")
    badge = page.locator("#sync-badge")
    expect(badge).to_contain_text("Synchronisé", timeout=30_000)

    shop.hub.stop()
    shop.run(home, "sell", "CAF250:2")
    expect(badge).to_contain_text("Hors ligne depuis", timeout=40_000)
    expect(badge).to_contain_text("1 changement en attente", timeout=20_000)

    page.get_by_role("button", name="Synchroniser maintenant").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Échec de la synchronisation : Serveur injoignable"
    )
    expect(page.locator("#pending-count")).to_have_text("1")

    shop.hub.start()
    expect(badge).to_contain_text("Synchronisé", timeout=90_000)
    expect(badge).not_to_contain_text("en attente", timeout=30_000)
    page.reload()
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.locator("#cycles")).to_contain_text("facture")
    screenshot(page, "synchronisation")

    hub_page = page.context.new_page()
    login(hub_page, shop.hub, ("admin", PASSWORD))  # type: ignore[arg-type]
    hub_page.goto(f"{shop.hub.url}/synchro/")
    row = hub_page.locator("#nodes tbody tr", has_text="Caisse 1")
    expect(row).to_contain_text("Épicerie du port")
    expect(row).to_contain_text("C1")
    expect(hub_page.locator("#sync-badge")).to_contain_text("Serveur central")
