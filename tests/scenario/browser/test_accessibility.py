"""Accessibility basics in a real browser: axe-core's WCAG 2.1 A/AA rules on the main
pages, and the keyboard focus order of the till screen.

axe-core is vendored in ``vendor/`` (nothing is downloaded at test time) and injected into
each page once it has settled (the sync badge has answered).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import CASHIER, MANAGER, Site, login

pytestmark = [pytest.mark.slow, pytest.mark.scenario]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# axe files headings and landmarks (one h1, heading order, content inside landmarks) under
# "best-practice", not under a WCAG tag: checked too, they are what a screen reader
# user navigates by.
TAGS = [*WCAG_TAGS, "best-practice"]


def run_axe(page: Page) -> dict[str, Any]:
    """axe's results for the page as it is now: WCAG 2.0/2.1 A and AA, and best practices."""
    # Evaluated by the test driver, not added as an inline <script>: the pages' CSP
    # (rightly) refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """tags => axe
            .run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
            .then(r => ({
              version: r.testEngine.version,
              passes: r.passes.length,
              incomplete: r.incomplete.length,
              violations: r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                tags: v.tags.filter(t => /^wcag\\d|^best/.test(t)),
                targets: v.nodes.map(n => n.target.join(" ")),
                summary: v.nodes.length ? v.nodes[0].failureSummary : "",
              })),
            }))""",
        TAGS,
    )


def describe(name: str, results: dict[str, Any]) -> str:
    lines = [
        f"  axe {results['version']} · {name} : {len(results['violations'])} violation(s), "
        f"{results['passes']} règles respectées, {results['incomplete']} à revoir à la main"
    ]
    for v in results["violations"]:
        lines.append(f"    - {v['id']} ({v['impact']}, {' '.join(v['tags'])}) : {v['help']}")
        lines.extend(f"        {target}" for target in v["targets"][:8])
        if len(v["targets"]) > 8:
            lines.append(f"        … et {len(v['targets']) - 8} autres")
        lines.append("        " + v["summary"].replace("\n", "\n        "))
    return "\n".join(lines)


def settled(page: Page) -> None:
    """Wait until the sync badge has been fetched once, so axe sees the page's final state."""
    if page.locator("#sync-badge").count():
        expect(page.locator("#sync-badge [data-level]")).to_be_attached()


def piece_barcodes(site: Site, count: int) -> list[str]:
    articles = [
        a
        for a in site.json("article", "list")
        if a["unit"] == "piece" and a["barcodes"] and not a["archived"]
    ]
    assert len(articles) >= count
    return [a["barcodes"][0] for a in articles[:count]]


def open_till_with_two_lines(page: Page, site: Site) -> None:
    """The till screen with two basket lines, ready for payment."""
    login(page, site, CASHIER)
    expect(page).to_have_url(re.compile(r"/caisse/$"))
    expect(page.locator("#scan")).to_be_focused()
    for code in piece_barcodes(site, 2):
        page.keyboard.type(code)
        page.keyboard.press("Enter")
    expect(page.locator("#basket-lines tbody tr")).to_have_count(2)
    settled(page)


# -- one setup per page: each leaves the browser on the page to check ------------------------


def login_page(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/connexion/")


def till_screen(page: Page, site: Site) -> None:
    open_till_with_two_lines(page, site)
    page.keyboard.press("F8")
    page.keyboard.type("1")
    expect(page.locator(".pay-status")).to_have_class(re.compile(r"\bdue\b"))


def till_after_a_sale(page: Page, site: Site) -> None:
    """The receipt panel (with its ticket preview) that a validated sale leaves."""
    open_till_with_two_lines(page, site)
    page.keyboard.press("F8")
    page.keyboard.type("100")
    page.keyboard.press("Enter")
    expect(page.locator("#receipt .change-due")).to_be_visible()


def ticket(page: Page, site: Site) -> None:
    code = site.json("article", "list")[0]["code"]
    number = site.json("sell", f"{code}:1", "--pay", "cash")["number"]
    login(page, site, CASHIER)
    page.goto(f"{site.url}/caisse/ticket/{number}/")
    expect(page.locator(".ticket")).to_be_visible()


def manager_page(path: str) -> Callable[[Page, Site], None]:
    def setup(page: Page, site: Site) -> None:
        login(page, site, MANAGER)
        page.goto(f"{site.url}{path}")
        settled(page)

    return setup


def article_form(page: Page, site: Site) -> None:
    login(page, site, MANAGER)
    page.goto(f"{site.url}/gestion/articles/")
    page.locator("table.list tbody tr").first.get_by_role(
        "link", name=re.compile(r"^Modifier")
    ).click()
    expect(page.get_by_label("Prix de vente TTC")).to_be_visible()
    settled(page)


PAGES: dict[str, Callable[[Page, Site], None]] = {
    "connexion": login_page,
    "caisse (2 lignes, paiement)": till_screen,
    "caisse (vente validée)": till_after_a_sale,
    "ticket": ticket,
    "articles": manager_page("/gestion/articles/"),
    "fiche article": article_form,
    "tableau de bord": manager_page("/tableau-de-bord/"),
    "synchronisation": manager_page("/synchro/"),
    "factures": manager_page("/gestion/factures/"),
}


@pytest.fixture(scope="module")
def checked() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """The pages audited by this module, summed up once they all have been."""
    pages: list[tuple[str, dict[str, Any]]] = []
    yield pages
    if pages:
        version = pages[0][1]["version"]
        passes = sum(r["passes"] for _, r in pages)
        failing = [name for name, r in pages if r["violations"]]
        print(
            f"\n  axe {version} : {len(pages)} pages vérifiées, {passes} règles respectées "
            f"au total, {len(failing)} page(s) en défaut{' : ' if failing else ''}"
            + ", ".join(failing)
        )


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_accessibility_violation(
    page: Page, till_site: Site, checked: list[tuple[str, dict[str, Any]]], name: str
) -> None:
    PAGES[name](page, till_site)
    results = run_axe(page)
    checked.append((name, results))
    report = describe(name, results)
    print(report)
    assert not results["violations"], f"{page.url}\n{report}"


# -- the till screen with the keyboard ------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const row = el.closest("#basket-lines tbody tr");
  const rgb = c => { const m = /rgba?\\(([^)]+)\\)/.exec(c); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return p.length > 3 && p[3] < 1 ? null : p.slice(0, 3); };
  const lum = c => c.map(v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => (Math.max(lum(a), lum(b)) + 0.05) / (Math.min(lum(a), lum(b)) + 0.05);
  let around = [255, 255, 255];
  for (let up = el.parentElement; up; up = up.parentElement) {
    const bg = rgb(getComputedStyle(up).backgroundColor);
    if (bg) { around = bg; break; }
  }
  const rings = [];
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    rings.push(style.outlineColor);
  }
  if (style.boxShadow !== "none") rings.push(...(style.boxShadow.match(/rgba?\\([^)]+\\)/g) || []));
  const contrasts = rings.map(rgb).filter(Boolean).map(c => ratio(c, around));
  return {
    id: el.id, tag: el.tagName.toLowerCase(), cls: el.className, text: el.textContent.trim(),
    region: el.closest("#basket-lines") ? "line" : el.closest("#customer-form") ? "customer"
      : el.closest("#basket-tools") ? "basket"
      : el.closest("#payment-form") ? (el.type === "submit" ? "validate" : "payment")
      : el.id === "scan" ? "scan" : "other",
    row: row ? Number(row.dataset.position) : null,
    visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden"
      && box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth,
    rings: rings.join(" + "),
    contrast: contrasts.length ? Math.max(...contrasts) : 0,
  };
}"""


def test_tab_on_the_till_screen_follows_the_visual_flow_with_a_visible_focus(
    page: Page, till_site: Site
) -> None:
    open_till_with_two_lines(page, till_site)
    stops = [page.evaluate(FOCUSED)]
    while stops[-1]["region"] != "validate" and len(stops) < 30:
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
    path = " → ".join(s["id"] or f"{s['tag']}.{s['cls']}" for s in stops)
    print(f"  ordre de tabulation : {path}")

    regions = [s["region"] for s in stops]
    flow = [r for i, r in enumerate(regions) if i == 0 or regions[i - 1] != r]
    # The basket discount and « Mettre en attente » sit between the scan field and the lines.
    assert flow == ["scan", "basket", "line", "customer", "payment", "validate"], path
    line_stops = [s for s in stops if s["region"] == "line"]
    assert [s["row"] for s in line_stops] == sorted(s["row"] for s in line_stops), path
    assert [s["cls"] for s in line_stops[:3]] == ["qty", "disc", "remove"], path
    assert len({s["row"] for s in line_stops}) == 2, path
    payment_ids = [s["id"] for s in stops if s["region"] == "payment"]
    assert payment_ids[0] == "pay_cash", path

    for stop in stops:
        label = stop["id"] or stop["text"]
        assert stop["visible"], f"{label} a le focus mais n'est pas visible"
        assert stop["rings"], f"{label} : aucun indicateur de focus (outline ou box-shadow)"
        # WCAG 1.4.11: the focus indicator stands out from what surrounds it by 3:1.
        assert stop["contrast"] >= 3, (
            f"{label} : indicateur de focus trop pâle ({stop['rings']}, "
            f"contraste {stop['contrast']:.2f}:1 avec le fond)"
        )
