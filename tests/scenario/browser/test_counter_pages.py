"""The counter's set-up pages in a real browser (issue 18): the receipt printer's settings
for a manager, and a customer's account at the till. They also write the README's
screenshots (``artifacts/screenshots/imprimante.png``, ``compte-client.png``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import MANAGER, Site, login, make_till_site, screenshot
from tests.scenario.browser.test_pos import euros, open_till, piece_articles

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


@pytest.fixture(scope="module")
def till_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    site = make_till_site(tmp_path_factory.mktemp("counter"), articles=6, days=1)
    try:
        yield site
    finally:
        site.server.stop()


def test_a_manager_sees_the_till_s_printer_as_set_on_the_command_line(
    page: Page, till_site: Site
) -> None:
    till_site.run("printer", "set", "--tcp", "192.0.2.10:9100", "--width", "80")
    page.set_viewport_size({"width": 1366, "height": 768})
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/gestion/imprimante/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Imprimante")
    expect(page.locator("main")).to_contain_text("Imprimante enregistrée : réseau 192.0.2.10:9100")
    expect(page.get_by_role("button", name="Imprimer un ticket de test")).to_be_visible()
    screenshot(page, "imprimante")


def test_a_customer_s_account_shows_what_they_owe_and_takes_a_settlement(
    page: Page, till_site: Site
) -> None:
    (article,) = piece_articles(till_site, 1)
    till_site.run("customer", "add", "--code", "AWA", "--name", "Awa Diop", "--credit-limit", "50")
    till_site.run("sell", f"{article['code']}:2", "--customer", "AWA", "--pay", "compte")
    owed = till_site.json("customer", "statement", "AWA")
    assert Decimal(article["price"]) * 2 > 1  # the settlement below leaves a balance
    [customer] = [c for c in till_site.json("customer", "list") if c["code"] == "AWA"]
    page.set_viewport_size({"width": 1366, "height": 768})
    open_till(page, till_site)
    page.goto(f"{till_site.url}/caisse/client/{customer['id']}/compte/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awa Diop")
    expect(page.locator("main")).to_contain_text("Solde dû")
    expect(page.locator("main")).to_contain_text("Vente sur compte")
    sold = int(Decimal(article["price"]) * 100) * 2
    expect(page.locator("main")).to_contain_text(f"Solde dû : {euros(sold)}")
    screenshot(page, "compte-client")
    page.get_by_label("Montant").fill("1")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    expect(page.get_by_text("Règlement enregistré.")).to_be_visible()
    expect(page.locator("main")).to_contain_text(f"Solde dû : {euros(sold - 100)}")
    after = till_site.json("customer", "statement", "AWA")
    assert after != owed
