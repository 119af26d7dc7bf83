"""The manager's dashboard in a real browser: today's figures, the SVG chart, and its JSON."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, MANAGER, Site, login, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def _data(page: Page, site: Site) -> Any:
    response = page.request.get(f"{site.url}/tableau-de-bord/donnees.json")
    assert response.ok, response.text()
    return response.json()


def test_the_dashboard_shows_today_and_counts_a_new_sale(page: Page, till_site: Site) -> None:
    login(page, till_site, MANAGER)
    expect(page).to_have_url(re.compile(r"/tableau-de-bord/$"))
    before = _data(page, till_site)

    code = till_site.json("article", "list")[0]["code"]
    sale = till_site.json("sell", f"{code}:2", "--pay", "card")
    total = int(Decimal(sale["totals"]["incl_tax"]) * 100)

    after = _data(page, till_site)
    today, was = after["periods"]["today"], before["periods"]["today"]
    assert today["invoice_count"] == was["invoice_count"] + 1
    assert today["total_incl_tax"] == was["total_incl_tax"] + total
    assert (
        after["by_day"][-1]["revenue_incl_tax"] == before["by_day"][-1]["revenue_incl_tax"] + total
    )
    assert after["by_day"][-1]["day"] == sale["business_date"]
    card = {m["method"]: m["amount"] for m in after["by_method"]}.get("card", 0)
    was_card = {m["method"]: m["amount"] for m in before["by_method"]}.get("card", 0)
    assert card == was_card + total

    page.reload()
    expect(page.get_by_role("heading", name="Tableau de bord", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Aujourd’hui")).to_be_visible()
    chart = page.get_by_role("img", name=re.compile("Chiffre d’affaires TTC par jour"))
    expect(chart).to_be_visible()
    expect(page.locator("#chart-days rect")).to_have_count(30)
    last_bar = page.locator("#chart-days rect").last
    expect(last_bar).to_have_attribute("data-value", str(after["by_day"][-1]["revenue_incl_tax"]))
    expect(page.locator("#chart-methods")).to_be_visible()
    figure = page.locator(".kpi").first.locator(".amount")
    expect(figure).to_contain_text("€")
    screenshot(page, "tableau-de-bord")


def test_a_cashier_is_kept_out_of_the_dashboard(page: Page, till_site: Site) -> None:
    login(page, till_site, CASHIER)
    response = page.goto(f"{till_site.url}/tableau-de-bord/")
    assert response is not None
    assert response.status == 403


# Each text of a chart: its font size in the SVG's units times the scale it is drawn at.
RENDERED_FONT_SIZES = """selector => Array.from(document.querySelectorAll(selector)).map(
    text => parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a)"""


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 768)])
def test_the_charts_axis_labels_are_legible_on_a_small_screen(
    page: Page, till_site: Site, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/tableau-de-bord/")
    for chart in ("#chart-days", "#chart-methods"):
        expect(page.locator(f"{chart} .grid text").first).to_be_attached()
        sizes = page.evaluate(RENDERED_FONT_SIZES, f"{chart} text")
        assert sizes
        assert min(sizes) >= 11, (chart, min(sizes))
    # The days chart has the whole width of the page, not a column of it.
    days = page.locator("section:has(#chart-days)").bounding_box()
    grid = page.locator(".dash-grid:has(#chart-days)").bounding_box()
    assert days is not None
    assert grid is not None
    assert days["width"] == pytest.approx(grid["width"], abs=1)
