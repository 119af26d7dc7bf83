"""Articles from the back office: list, search, filters, create, edit, archive."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Article
from comptoir.catalogue.services import article_update, supplier_create, supplier_update
from comptoir.stock.services import stock_receive
from comptoir.stores.models import Till
from tests.factories import make_article, twin_from_another_till

pytestmark = pytest.mark.django_db

LIST = reverse("backoffice:articles")


def form(**changes: str) -> dict[str, str]:
    data = {
        "code": "CAF250",
        "name": "Café moulu 250 g",
        "sale_price": "3,90",
        "vat_rate": "5,5",
        "cost": "2,10",
        "unit": "piece",
        "alert_threshold": "5",
        "category": "Épicerie",
        "supplier": "",
        "barcodes": "3560070123452",
    }
    return {**data, **changes}


def test_manager_creates_an_article(manager: Client) -> None:
    response = manager.post(reverse("backoffice:article_create"), form())
    assert response.status_code == 302
    article = Article.objects.get(code="CAF250")
    assert article.sale_price == 390
    assert article.category is not None
    assert article.category.name == "Épicerie"
    assert list(article.barcodes.values_list("code", flat=True)) == ["3560070123452"]


def test_a_refused_article_shows_the_french_reason(manager: Client) -> None:
    response = manager.post(reverse("backoffice:article_create"), form(sale_price="3,999"))
    assert response.status_code == 200
    assert "au plus 2 décimale(s)" in response.content.decode()
    assert not Article.objects.filter(code="CAF250").exists()


def test_edit_changes_only_the_fields_changed(manager: Client, till: Till) -> None:
    article = make_article("PAIN", "1.20")
    clocks = dict(article.sync_clocks)
    url = reverse("backoffice:article_edit", args=[article.pk])
    page = manager.get(url)
    initial = {k: str(v) for k, v in page.context["form"].initial.items()}
    response = manager.post(url, {**initial, "sale_price": "1,35"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.sale_price == 135
    # the name was not touched, so its clock did not move (per-field merge stays right)
    assert article.sync_clocks["name"] == clocks["name"]
    assert article.sync_clocks["sale_price"] != clocks["sale_price"]


def test_archive_and_restore(manager: Client, till: Till) -> None:
    article = make_article("PAIN")
    url = reverse("backoffice:article_archive", args=[article.pk])
    assert manager.post(url).status_code == 302
    article.refresh_from_db()
    assert article.archived
    assert codes(manager) == []
    assert codes(manager, archived="1") == ["PAIN"]
    manager.post(url, {"restore": "1"})
    article.refresh_from_db()
    assert not article.archived


def test_archive_needs_a_post(manager: Client, till: Till) -> None:
    article = make_article("PAIN")
    assert manager.get(reverse("backoffice:article_archive", args=[article.pk])).status_code == 405


def test_search_by_code_name_and_barcode(manager: Client, till: Till) -> None:
    make_article("PAIN", barcodes=["3560070123452"])
    make_article("LAIT")
    assert codes(manager, q="pai") == ["PAIN"]
    assert codes(manager, q="Article LAIT") == ["LAIT"]
    assert codes(manager, q="3560070123452") == ["PAIN"]
    assert codes(manager, q="") == ["LAIT", "PAIN"]


def test_filters_category_and_low_stock(manager: Client, till: Till) -> None:
    make_article("PAIN", category="Boulangerie")
    make_article("LAIT", category="Crèmerie")
    article_update(code="LAIT", alert_threshold="5")
    stock_receive(article="PAIN", quantity=20)
    stock_receive(article="LAIT", quantity=5)
    category = Article.objects.get(code="LAIT").category
    assert category is not None
    assert codes(manager, category=str(category.pk)) == ["LAIT"]
    assert codes(manager, low="1") == ["LAIT"]  # 5 <= threshold 5
    page = manager.get(LIST).content.decode()
    assert page.count('class="low-stock"') == 1


def test_stock_is_shown_per_store(cashier: Client, till: Till) -> None:
    make_article("PAIN")
    stock_receive(article="PAIN", quantity=12)
    response = cashier.get(LIST)
    assert "Stock Magasin principal" in response.content.decode()
    assert response.context["rows"][0][1] == [12]


def test_pagination_keeps_the_filters(manager: Client, till: Till) -> None:
    for i in range(55):
        make_article(f"A{i:03d}")
    page = manager.get(LIST, {"q": "A0"}).content.decode()
    assert "q=A0&amp;page=2" in page
    assert len(codes(manager, q="A0", page="2")) == 5


def test_an_article_name_is_escaped(manager: Client, cashier: Client, till: Till) -> None:
    article = make_article("XSS")
    article_update(code="XSS", name="<script>alert(1)</script>")
    for client, url in [
        (cashier, LIST),
        (manager, reverse("backoffice:article_edit", args=[article.pk])),
        (cashier, reverse("backoffice:stock_history", args=[article.pk])),
    ]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url


TWIN = "Code en double : créé sur deux caisses hors ligne, archivez l'un des deux"


def test_editing_the_newer_twin_changes_that_twin(manager: Client, till: Till) -> None:
    article = make_article("JUS", "2.00")
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    url = reverse("backoffice:article_edit", args=[newer.pk])
    initial = {k: str(v) for k, v in manager.get(url).context["form"].initial.items()}
    assert initial["name"] == "Jus (caisse 2)"

    response = manager.post(url, {**initial, "sale_price": "2,40", "barcodes": "3560070123452"})

    assert response.status_code == 302
    newer.refresh_from_db()
    article.refresh_from_db()
    assert (newer.sale_price, article.sale_price) == (240, 200)
    assert [b.code for b in newer.barcodes.all()] == ["3560070123452"]
    manager.post(reverse("backoffice:article_archive", args=[newer.pk]))
    newer.refresh_from_db()
    article.refresh_from_db()
    assert (newer.archived, article.archived) == (True, False)


def test_twins_are_marked_in_the_list_until_one_is_archived(manager: Client, till: Till) -> None:
    article = make_article("JUS")
    make_article("EAU")
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    page = manager.get(LIST)
    assert [(a.code, a.is_twin) for a, _levels in page.context["rows"]] == [
        ("EAU", False),
        ("JUS", True),
        ("JUS", True),
    ]
    assert page.content.decode().count(TWIN) == 2

    manager.post(reverse("backoffice:article_archive", args=[newer.pk]))
    assert TWIN not in manager.get(LIST, {"archived": "all"}).content.decode()


def test_the_twin_mark_is_translated(manager: Client, till: Till) -> None:
    article = make_article("JUS")
    twin_from_another_till(article, name="Jus (caisse 2)")
    manager.cookies["django_language"] = "en"
    body = manager.get(LIST, headers={"accept-language": "en"}).content.decode()
    assert "Duplicate code: created on two offline tills, archive one of them" in body


def codes(client: Client, **params: str) -> list[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [article.code for article, _levels in response.context["rows"]]


def test_an_article_gets_the_twin_supplier_chosen(manager: Client, till: Till) -> None:
    older = supplier_create(code="MOULIN", name="Moulin du port")
    newer = twin_from_another_till(older, name="Moulin de la gare")
    page = manager.get(reverse("backoffice:article_create"))
    assert {str(older.pk), str(newer.pk)} <= set(
        dict(page.context["form"].fields["supplier"].choices)
    )

    manager.post(reverse("backoffice:article_create"), form(supplier=str(newer.pk)))
    article = Article.objects.get(code="CAF250")
    assert article.supplier_id == newer.pk

    url = reverse("backoffice:article_edit", args=[article.pk])
    initial = {k: str(v) for k, v in manager.get(url).context["form"].initial.items()}
    assert initial["supplier"] == str(newer.pk)
    assert manager.post(url, {**initial, "supplier": str(older.pk)}).status_code == 302
    article.refresh_from_db()
    assert article.supplier_id == older.pk
    assert manager.post(url, {**initial, "supplier": ""}).status_code == 302
    article.refresh_from_db()
    assert article.supplier_id is None


def test_the_supplier_filter_tells_twins_apart(manager: Client, till: Till) -> None:
    older = supplier_create(code="MOULIN", name="Moulin")
    newer = twin_from_another_till(older)
    make_article("PAIN", supplier="MOULIN")
    body = manager.get(LIST, {"supplier": str(newer.pk)}).content.decode()
    assert f'<option value="{newer.pk}" selected>' in body
    assert f"#{newer.pk.hex[-6:]}" in body
    assert codes(manager, supplier=str(older.pk)) == ["PAIN"]
    assert codes(manager, supplier=str(newer.pk)) == []


def test_editing_an_article_keeps_its_archived_supplier(manager: Client, till: Till) -> None:
    supplier = supplier_create(code="MOULIN", name="Moulin")
    article = make_article("PAIN", "1.20", supplier="MOULIN")
    supplier_update(pk=supplier.pk, archived=True)
    url = reverse("backoffice:article_edit", args=[article.pk])
    page = manager.get(url)
    initial = {k: str(v) for k, v in page.context["form"].initial.items()}
    assert f'<option value="{supplier.pk}" selected>Moulin (MOULIN, archivé)</option>' in (
        page.content.decode()
    )
    assert manager.post(url, {**initial, "sale_price": "1,35"}).status_code == 302
    article.refresh_from_db()
    assert (article.sale_price, article.supplier_id) == (135, supplier.pk)


def test_a_name_with_a_terminal_escape_is_refused(manager: Client) -> None:
    response = manager.post(reverse("backoffice:article_create"), form(name="Café\x1b[2J"))
    assert response.status_code == 200
    assert "caractère de contrôle ou invisible (U+001B)" in response.content.decode()
    assert not Article.objects.filter(code="CAF250").exists()
