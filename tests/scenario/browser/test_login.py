"""Logging in and out in a real browser; each role lands on its own screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, MANAGER, Site, login

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_cashier_lands_on_the_till_screen(page: Page, till_site: Site) -> None:
    login(page, till_site, CASHIER)
    expect(page).to_have_url(re.compile(r"/caisse/$"))
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_manager_lands_on_the_dashboard_and_can_log_out(page: Page, till_site: Site) -> None:
    login(page, till_site, MANAGER)
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/connexion/"))


def test_wrong_password_says_so_in_french(page: Page, till_site: Site) -> None:
    login_page = f"{till_site.url}/connexion/"
    page.goto(login_page)
    page.get_by_label("Identifiant").fill(CASHIER[0])
    page.get_by_label("Mot de passe").fill("pas-le-bon")
    page.get_by_label("Mot de passe").press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("Identifiant ou mot de passe incorrect")


def test_pages_need_a_login(page: Page, till_site: Site) -> None:
    page.goto(f"{till_site.url}/caisse/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/caisse/"))
