"""The back office in a real browser: edit an article's price, import a CSV with a bad row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.scenario.browser.conftest import MANAGER, Site, login

pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def test_manager_edits_an_article_price(page: Page, till_site: Site) -> None:
    article = till_site.json("article", "list")[0]
    code = article["code"]
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/gestion/articles/")
    page.get_by_label("Recherche (code, code-barres, nom)").fill(code)
    row = page.locator("table.list tbody tr", has_text=code).first
    row.get_by_role("link", name=re.compile(r"^Modifier")).click()
    page.get_by_label("Prix de vente TTC").fill("12,34")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text(f"Article {code} enregistré.")
    saved = [a for a in till_site.json("article", "list", "--search", code) if a["code"] == code]
    assert saved[0]["price"] == "12.34"


def test_manager_imports_a_csv_with_a_bad_row(page: Page, till_site: Site, tmp_path: Path) -> None:
    csv = tmp_path / "articles.csv"
    csv.write_text(
        "code;name;price;vat\nIMP1;Importé 1;1,00;20\nIMP2;Importé 2;pas un prix;20\n",
        encoding="utf-8",
    )
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/gestion/articles/import/")
    page.get_by_label("Fichier CSV").set_input_files(str(csv))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_role("alert")).to_contain_text("rien n'a été importé : 1 ligne en erreur")
    report = page.locator("table.report tbody tr")
    expect(report).to_have_count(1)
    expect(report.first).to_contain_text("3")
    expect(report.first).to_contain_text("Montant invalide : « pas un prix »")
    assert till_site.json("article", "list", "--search", "IMP") == []


def test_adding_a_receipt_line_numbers_it_after_the_others(page: Page, till_site: Site) -> None:
    """htmx asks for the next line with its number, and no eval (the CSP allows none)."""
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/gestion/stock/reception/")
    lines = page.locator("#receipt-lines tr")
    before = lines.count()
    page.get_by_role("button", name="Ajouter une ligne").click()
    expect(lines).to_have_count(before + 1)
    expect(page.get_by_label(f"Article, ligne {before + 1}", exact=True)).to_be_visible()
    page.get_by_role("button", name="Ajouter une ligne").click()
    expect(page.get_by_label(f"Article, ligne {before + 2}", exact=True)).to_be_visible()


def test_new_article_form_on_a_small_screen(page: Page, till_site: Site) -> None:
    """All errors at once and named in view, the category from a list, land on the article,
    remove a barcode."""
    page.set_viewport_size({"width": 1024, "height": 768})
    taken = till_site.json("article", "list")[0]["code"]
    login(page, till_site, MANAGER)
    page.goto(f"{till_site.url}/gestion/articles/nouveau/")
    new_name = page.get_by_label("Nom de la nouvelle catégorie")
    expect(new_name).to_be_hidden()
    page.locator("#id_code").fill(taken)
    page.get_by_label("Prix de vente TTC").fill("3,999")
    page.get_by_label("Codes-barres à ajouter").fill("3560070123453")
    page.get_by_role("button", name="Enregistrer").click()

    summary = page.locator(".form-errors")
    for label in ("Code", "Désignation", "Prix de vente TTC", "Codes-barres à ajouter"):
        expect(summary.get_by_role("link", name=label, exact=True)).to_be_visible()
    box = summary.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 768
    expect(page.locator(".field .errorlist")).to_have_count(4)

    page.locator("#id_code").fill("BROWSER1")
    page.get_by_label("Désignation").fill("Article du navigateur")
    page.get_by_label("Prix de vente TTC").fill("3,90")
    page.get_by_label("Codes-barres à ajouter").fill("3560070123452 INT-42")
    page.locator("#id_category").select_option(label="Nouvelle catégorie…")
    expect(new_name).to_be_visible()
    new_name.fill("Essais")
    page.get_by_role("button", name="Enregistrer").click()

    expect(page.get_by_role("heading", name="Article BROWSER1")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Article BROWSER1 créé.")
    expect(page.locator("#id_category")).to_have_value("Essais")
    page.get_by_role("checkbox", name="INT-42").check()
    page.get_by_role("button", name="Enregistrer").click()
    (saved,) = till_site.json("article", "list", "--search", "BROWSER1")
    assert saved["barcodes"] == ["3560070123452"]
