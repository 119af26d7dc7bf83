"""A trading day in a real browser, on one served till: the cashier opens the session with
a float counted note by note, sells twice, takes cash out with a reason, closes with a
blind count and gets the Z; then the manager, at 1366×768 and with the keyboard, checks
the fiscal journal (every chain whole) and finds the cashier's shortfall on the sessions
page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.scenario.browser.conftest import (
    CASHIER,
    MANAGER,
    Site,
    login,
    make_till_site,
    screenshot,
)
from tests.scenario.browser.test_accessibility import describe, run_axe, settled
from tests.scenario.browser.test_pos import euros, piece_articles, scan

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

FLOAT = 6000  # one 50 € note and five 2 € coins
OUT = 500


@pytest.fixture(scope="module")
def day_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A small till: one day of sample sales is enough here."""
    site = make_till_site(tmp_path_factory.mktemp("trading-day"), articles=12, days=1)
    try:
        yield site
    finally:
        site.server.stop()


def _accessible(page: Page) -> None:
    """axe's WCAG A/AA rules and best practices hold on the page (colours of the states)."""
    settled(page)
    results = run_axe(page)
    assert not results["violations"], describe(page.url, results)


def _sell(page: Page, barcode: str) -> int:
    """One article scanned and paid in cash, the exact amount; its total in cents."""
    scan(page, barcode)
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    page.keyboard.press("F8")
    expect(page.locator("#pay_cash")).to_be_focused()
    page.keyboard.type(euros(total))
    page.keyboard.press("Enter")
    expect(page.locator("#receipt").get_by_role("heading")).to_contain_text("validée")
    expect(page.locator("#basket-lines tbody tr")).to_have_count(0)
    expect(page.locator("#scan")).to_be_focused()
    return total


def test_a_cashiers_day_then_the_managers_journal_and_sessions(
    page: Page, browser: Browser, day_site: Site
) -> None:
    first, second = piece_articles(day_site, 2)
    login(page, day_site, CASHIER)
    page.get_by_role("link", name="Compter le fond de caisse et ouvrir la session").click()
    page.get_by_label("50,00 €").fill("1")
    page.get_by_label("2,00 €").fill("5")
    page.get_by_role("button", name="Ouvrir la session").click()
    expect(page).to_have_url(re.compile(r"/caisse/$"))
    expect(page.get_by_text("Aucune session de caisse n’est ouverte.")).to_have_count(0)

    sales = _sell(page, first["barcodes"][0]) + _sell(page, second["barcodes"][0])
    expected = FLOAT + sales - OUT

    page.get_by_role("link", name="Session : espèces, X, clôture").click()
    page.get_by_label("Sens").select_option("out")
    page.get_by_label("Montant", exact=True).fill(euros(OUT))
    page.get_by_label("Motif").fill("Timbres")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Mouvement d'espèces enregistré.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Timbres")
    # Blind: what the drawer should hold is nowhere on the page before the count.
    expect(page.locator("main")).not_to_contain_text(euros(expected))

    counted = expected - 100  # one euro short
    page.get_by_label("Montant compté").fill(euros(counted))
    page.get_by_role("button", name="Fermer et imprimer le Z").click()
    expect(page).to_have_url(re.compile(r"/caisse/session/\d+/z/$"))
    ticket = page.locator(".ticket")
    expect(ticket).to_contain_text("Rapport Z, session n°")
    expect(ticket).to_contain_text("2 factures")
    expect(ticket.get_by_role("row", name=re.compile("Attendu"))).to_contain_text(euros(expected))
    expect(ticket.get_by_role("row", name=re.compile("Compté"))).to_contain_text(euros(counted))
    expect(ticket.get_by_role("row", name=re.compile("Écart"))).to_contain_text("1,00")
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()

    # The manager, on a 1366×768 screen, reaches both pages with the keyboard.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768})
    manager = context.new_page()
    manager.set_default_timeout(10_000)
    try:
        login(manager, day_site, MANAGER)
        manager.goto(f"{day_site.url}/gestion/articles/")
        subnav = manager.locator("nav.subnav")
        link = subnav.get_by_role("link", name="Journal fiscal")
        expect(link).to_be_in_viewport()
        link.focus()
        manager.keyboard.press("Enter")
        expect(manager).to_have_url(re.compile(r"/tableau-de-bord/journal/$"))
        manager.get_by_role("button", name="Vérifier maintenant (C1)").click()
        expect(manager.get_by_text("Poste C1 : journal fiscal intègre.")).to_be_visible()
        post = manager.locator("#journal-C1")
        expect(post).to_have_attribute("data-status", "whole")
        # Documents, sessions, cash movements and technical events at least (closings too
        # once a day is over): every chain of the post, each whole.
        for chain in ("doc", "sess", "move", "event"):
            expect(post.locator(f"tbody tr[data-chain='{chain}']")).to_have_count(1)
        chains = post.locator("tbody tr")
        for i in range(chains.count()):
            expect(chains.nth(i)).to_have_attribute("data-status", "whole")
        _accessible(manager)
        screenshot(manager, "journal-fiscal")

        link = manager.locator("nav.subnav").get_by_role("link", name="Sessions de caisse")
        expect(link).to_be_in_viewport()
        link.focus()
        manager.keyboard.press("Enter")
        expect(manager).to_have_url(re.compile(r"/tableau-de-bord/sessions/$"))
        row = manager.locator("#balances tr[data-cashier='caisse']")
        expect(row).to_contain_text("(manquant)")
        expect(row.locator(".short")).to_have_attribute("data-difference", "-100")
        session = manager.locator("#sessions tbody tr").first
        expect(session).to_contain_text(euros(expected))
        expect(session).to_contain_text(euros(counted))
        _accessible(manager)
        screenshot(manager, "sessions-de-caisse")
        session.get_by_role("link", name="A4").click()
        expect(manager.locator("body")).to_have_class(re.compile("print-a4"))
        expect(manager.locator(".ticket")).to_contain_text(euros(expected))
    finally:
        context.close()
