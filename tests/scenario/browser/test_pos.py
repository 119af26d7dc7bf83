"""The till screen in a real browser: sell by barcode, pay cash, keep the keyboard focus."""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, Site, login, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def piece_articles(site: Site, count: int) -> list[dict[str, Any]]:
    """Articles sold by the piece that have a barcode, as the CLI lists them."""
    articles = [
        a
        for a in site.json("article", "list")
        if a["unit"] == "piece" and a["barcodes"] and not a["archived"]
    ]
    assert len(articles) >= count
    return articles[:count]


def level(site: Site, code: str) -> Decimal:
    levels = site.json("stock", "show", code)["levels"]
    return sum((Decimal(row["quantity"]) for row in levels), Decimal(0))


def open_till(page: Page, site: Site) -> None:
    login(page, site, CASHIER)
    expect(page).to_have_url(re.compile(r"/caisse/$"))
    expect(page.locator("#scan")).to_be_focused()


def scan(page: Page, code: str) -> None:
    """What a scanner does: type the code fast, then Enter."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")


def euros(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def test_cashier_sells_two_articles_by_barcode_and_pays_cash_with_change(
    page: Page, till_site: Site
) -> None:
    first, second = piece_articles(till_site, 2)
    before = {a["code"]: level(till_site, a["code"]) for a in (first, second)}
    open_till(page, till_site)

    # Back to back, as a scanner would: the second code is typed before the first answer.
    scan(page, first["barcodes"][0])
    scan(page, second["barcodes"][0])
    rows = page.locator("#basket-lines tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(first["name"])
    expect(rows.nth(1)).to_contain_text(second["name"])
    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    price = Decimal(first["price"]) + Decimal(second["price"])
    assert total == int(price * 100)
    expect(page.locator("#grand-total")).to_contain_text(euros(total))

    tendered = (total // 1000 + 1) * 1000  # the next 10 € note
    page.keyboard.press("F8")
    expect(page.locator("#pay_cash")).to_be_focused()
    page.keyboard.type(str(tendered // 100))
    expect(page.locator(".pay-status")).to_contain_text("Monnaie à rendre")
    expect(page.locator("#pay-status-amount")).to_contain_text(euros(tendered - total))

    started = time.perf_counter()
    page.keyboard.press("Enter")
    receipt = page.locator("#receipt")
    expect(receipt.get_by_role("heading")).to_contain_text("validée")
    elapsed = time.perf_counter() - started
    print(f"  Entrée → ticket affiché : {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    expect(receipt.locator(".change-due")).to_contain_text(euros(tendered - total))
    expect(page.locator("#scan")).to_be_focused()
    expect(page.locator("#basket-lines tbody tr")).to_have_count(0)
    number = re.search(r"C1-\d{4}-\d{6}", receipt.inner_text())
    assert number is not None

    page.goto(f"{till_site.url}/caisse/ticket/{number.group(0)}/")
    ticket = page.locator(".ticket")
    expect(ticket).to_contain_text(first["name"])
    expect(ticket).to_contain_text(second["name"])
    expect(ticket).to_contain_text(euros(total))
    expect(page.get_by_role("button", name="Imprimer")).to_be_visible()

    for article in (first, second):
        assert level(till_site, article["code"]) == before[article["code"]] - 1


def test_the_scan_field_keeps_the_focus_after_each_action(page: Page, till_site: Site) -> None:
    articles = piece_articles(till_site, 4)
    open_till(page, till_site)
    scan_field = page.locator("#scan")
    rows = page.locator("#basket-lines tbody tr")

    for article in articles[:3]:
        scan(page, article["barcodes"][0])
    expect(rows).to_have_count(3)
    expect(scan_field).to_be_focused()

    scan(page, "0000000000000")
    expect(page.locator("#scan-feedback")).to_contain_text("Article inconnu")
    expect(scan_field).to_be_focused()

    scan(page, f"2*{articles[3]['code']}")
    expect(rows).to_have_count(4)
    expect(rows.nth(3).locator("input.qty")).to_have_value("2")
    expect(page.locator("#scan-feedback")).to_be_empty()
    expect(scan_field).to_be_focused()

    page.keyboard.press("F3")  # the last line's quantity
    expect(rows.nth(3).locator("input.qty")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(rows.nth(3).locator("input.qty")).to_have_value("3")
    expect(scan_field).to_be_focused()

    discount = rows.nth(1).locator("input.disc")
    discount.fill("10")
    discount.press("Enter")
    expect(rows.nth(1)).to_contain_text("dont remise")
    expect(scan_field).to_be_focused()

    # A name typed, then the arrow keys and Enter pick a suggestion.
    page.keyboard.type(articles[0]["name"][:6])
    options = page.locator("#scan-results [role=option]")
    expect(options.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    picked = options.first.get_attribute("data-value")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(5)
    expect(rows.nth(4)).to_contain_text(picked or "")
    expect(scan_field).to_be_focused()

    rows.nth(4).locator("button.remove").click()
    expect(rows).to_have_count(4)
    expect(scan_field).to_be_focused()

    screenshot(page, "caisse")

    page.keyboard.press("F8")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#pay-feedback")).to_contain_text("Paiement insuffisant")
    expect(page.locator("#pay_cash")).to_be_focused()
    page.keyboard.press("Escape")
    expect(scan_field).to_be_focused()

    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    page.locator("#pay_cash").fill("")
    page.locator("#pay_card").focus()  # offers what is left to pay
    expect(page.locator("#pay_card")).to_have_value(euros(total))
    page.keyboard.press("F9")
    expect(page.locator("#receipt")).to_contain_text("validée")
    expect(scan_field).to_be_focused()
    expect(rows).to_have_count(0)


def test_a_card_paying_more_than_is_due_promises_no_change(page: Page, till_site: Site) -> None:
    """The screen applies the server's rule: only cash gives change back."""
    (article,) = piece_articles(till_site, 1)
    open_till(page, till_site)
    scan(page, article["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    status = page.locator(".pay-status")
    amount = page.locator("#pay-status-amount")
    hint = page.locator("#pay-no-change")

    page.locator("#pay_card").fill("100")
    expect(status).to_have_class(re.compile(r"\binvalid\b"))
    expect(status).not_to_contain_text("Monnaie à rendre")
    expect(status).to_contain_text("Trop payé")
    expect(amount).to_contain_text(euros(10_000 - total))
    expect(hint).to_be_visible()
    page.keyboard.press("F9")  # the server refuses it, as the screen said
    expect(page.locator("#pay-feedback")).to_contain_text("seul un paiement en espèces")
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)

    # Card for what is due and a note on top: the cash gives the change back.
    page.locator("#pay_card").fill(euros(total))
    page.locator("#pay_cash").fill("20")
    expect(status).to_have_class(re.compile(r"\bpaid\b"))
    expect(status).to_contain_text("Monnaie à rendre")
    expect(amount).to_contain_text(euros(2000))
    expect(hint).to_be_hidden()
    page.keyboard.press("F9")
    expect(page.locator("#receipt .change-due")).to_contain_text(euros(2000))


def _one_article_in_english(page: Page, till_site: Site) -> int:
    """The till in English with one article in the basket; its total in cents."""
    (article,) = piece_articles(till_site, 1)
    open_till(page, till_site)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#scan").focus()
    scan(page, article["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    total = int(page.locator("#basket-totals").get_attribute("data-total") or "0")
    return total


def test_in_english_the_amount_due_and_the_change_are_written_the_english_way(
    page: Page, till_site: Site
) -> None:
    total = _one_article_in_english(page, till_site)

    page.keyboard.press("F8")
    page.keyboard.type("2000")  # the change is over a thousand: grouped
    change = 200_000 - total
    expect(page.locator("#pay-status-amount")).to_have_text(
        f"{change // 100:,}.{change % 100:02d}\u00a0€"
    )
    page.locator("#pay_cash").fill("")
    page.locator("#pay_card").focus()  # offers what is left to pay, as one types it
    expect(page.locator("#pay_card")).to_have_value(f"{total // 100}.{total % 100:02d}")


def test_in_english_an_amount_typed_with_thousands_separators_gives_the_change(
    page: Page, till_site: Site
) -> None:
    total = _one_article_in_english(page, till_site)
    status = page.locator(".pay-status")
    amount = page.locator("#pay-status-amount")

    page.keyboard.press("F8")
    page.keyboard.type("1,234.50")
    change = 123_450 - total
    expect(status).to_have_class(re.compile(r"\bpaid\b"))
    expect(amount).to_have_text(f"{change // 100:,}.{change % 100:02d}\u00a0€")

    page.locator("#pay_cash").fill("1.234,50")  # the French writing, in any language
    expect(amount).to_have_text(f"{change // 100:,}.{change % 100:02d}\u00a0€")

    page.locator("#pay_cash").fill("1,23.50")  # not a thousands group: refused, as the server does
    expect(status).to_have_class(re.compile(r"\binvalid\b"))
    expect(amount).to_have_text("")


# Whether an element is wholly shown: inside the window and inside every box that clips it.
WHOLLY_SHOWN = """el => {
    const r = el.getBoundingClientRect();
    let shown = r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth;
    for (let box = el.parentElement; box; box = box.parentElement) {
        const style = getComputedStyle(box);
        if (style.overflowX === "visible" && style.overflowY === "visible") continue;
        const b = box.getBoundingClientRect();
        shown = shown && r.top >= b.top - 1 && r.bottom <= b.bottom + 1
            && r.left >= b.left - 1 && r.right <= b.right + 1;
    }
    return shown;
}"""


def in_viewport(page: Page, selector: str) -> None:
    """The element is wholly in view without the person scrolling anything."""
    element = page.locator(selector)
    expect(element).to_be_visible()
    assert element.evaluate(WHOLLY_SHOWN), (selector, element.bounding_box())


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (1024, 768)])
def test_a_payment_error_and_the_change_due_are_in_view_on_a_small_screen(
    page: Page, till_site: Site, width: int, height: int
) -> None:
    page.set_viewport_size({"width": width, "height": height})
    articles = piece_articles(till_site, 7)
    open_till(page, till_site)
    for article in articles:
        scan(page, article["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(len(articles))

    page.keyboard.press("F8")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    expect(page.locator("#pay-feedback")).to_contain_text("Paiement insuffisant")
    in_viewport(page, "#pay-feedback .error")
    in_viewport(page, "#pay_cash")
    in_viewport(page, "#pay-status-amount")

    page.locator("#pay_cash").fill("500")
    page.keyboard.press("F9")
    expect(page.locator("#receipt").get_by_role("heading")).to_contain_text("validée")
    in_viewport(page, "#receipt h2")
    in_viewport(page, "#receipt .change-due")
    assert page.evaluate("window.scrollY") == 0


def test_a_mobile_money_method_asks_for_its_reference_before_the_sale(
    page: Page, till_site: Site
) -> None:
    """Issue 18: a store's own method (Wave) is on the screen; its reference is required
    once an amount is typed for it, and the sale keeps it."""
    till_site.run(
        "payment-method", "add", "--code", "wave", "--name", "Wave", "--kind", "mobile",
        "--reference-required",
    )  # fmt: skip
    (article,) = piece_articles(till_site, 1)
    open_till(page, till_site)
    scan(page, article["barcodes"][0])
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    page.locator("#pay_cash").fill("")
    page.locator("#pay_wave").focus()  # offers what is left to pay
    expect(page.locator("#ref_wave:invalid")).to_have_count(1)
    page.keyboard.press("F9")  # the browser asks for the reference: nothing is sent
    expect(page.locator("#basket-lines tbody tr")).to_have_count(1)
    page.locator("#ref_wave").fill("TX-4242")
    page.keyboard.press("F9")
    expect(page.locator("#receipt")).to_contain_text("Wave")
    number = till_site.json("invoice", "list")[0]["number"]
    assert till_site.json("invoice", "show", number)["payments"][0]["reference"] == "TX-4242"
