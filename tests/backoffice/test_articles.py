"""Articles from the back office: list, search, filters, create, edit, archive."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from comptoir.catalogue.models import Article, Category
from comptoir.catalogue.selectors import article_get
from comptoir.catalogue.services import (
    article_update,
    category_get_or_create,
    supplier_create,
    supplier_update,
)
from comptoir.lib.errors import NotFoundError, ValidationError
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
        "category": "__new__",
        "new_category": "Épicerie",
        "supplier": "",
        "barcodes": "3560070123452",
    }
    return {**data, **changes}


def test_manager_creates_an_article_and_lands_on_it(manager: Client) -> None:
    response = manager.post(reverse("backoffice:article_create"), form())
    article = Article.objects.get(code="CAF250")
    assert response.status_code == 302
    assert response["Location"] == reverse("backoffice:article_edit", args=[article.pk])
    page = manager.get(response["Location"])
    assert "Article CAF250 créé." in page.content.decode()
    assert "3560070123452" in page.content.decode()
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


def test_a_chains_article_list_shows_the_total_not_a_column_per_store(
    manager: Client, till: Till
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from comptoir.backoffice.views.articles import STORE_COLUMNS
    from comptoir.stores.services import store_get_or_create

    make_article("PAIN")
    make_article("SEL")
    article_update(code="SEL", alert_threshold="30")
    stock_receive(article="PAIN", quantity=12)
    stock_receive(article="SEL", quantity=10)
    for n in range(STORE_COLUMNS):  # one store too many for a column each
        store = store_get_or_create(name=f"Magasin {n:02d}")
        stock_receive(article="SEL", quantity=7, store=store.name)
    with CaptureQueriesContext(connection) as queries:
        response = manager.get(LIST)
    html = response.content.decode()
    assert "Stock (tous magasins)" in html
    assert "Stock Magasin 03" not in html
    assert [(a.code, levels, a.is_low) for a, levels in response.context["rows"]] == [
        ("PAIN", [12], False),
        ("SEL", [10 + 7 * STORE_COLUMNS], False),
    ]
    for n in range(STORE_COLUMNS, 3 * STORE_COLUMNS):
        store_get_or_create(name=f"Magasin {n:02d}")
    with CaptureQueriesContext(connection) as more:
        manager.get(LIST)
    assert len(more) == len(queries)


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


def test_every_field_in_error_is_shown_at_once(manager: Client) -> None:
    make_article("PAIN", "1.20")
    response = manager.post(
        reverse("backoffice:article_create"),
        form(
            code="PAIN",
            name=" ",
            sale_price="3,999",
            vat_rate="150",
            cost="-1",
            barcodes="3560070123453",
        ),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"code", "name", "sale_price", "vat_rate", "cost", "barcodes"}
    assert "Un article porte déjà le code « PAIN »." in errors["code"]
    page = response.content.decode()
    assert "au plus 2 décimale(s)" in page
    assert "Taux de TVA invalide" in page
    assert not Article.objects.filter(name="").exists()


def test_an_edit_shows_all_its_errors_too(manager: Client, till: Till) -> None:
    article = make_article("PAIN", "1.20")
    url = reverse("backoffice:article_edit", args=[article.pk])
    initial = {k: str(v) for k, v in manager.get(url).context["form"].initial.items()}
    response = manager.post(url, {**initial, "sale_price": "abc", "alert_threshold": "x"})
    assert set(response.context["form"].errors) == {"sale_price", "alert_threshold"}


def test_the_edit_form_writes_a_round_vat_rate_as_typed(manager: Client, till: Till) -> None:
    """20 % was offered as "2E+1" (Decimal.normalize), which the form then refused."""
    article = make_article("PAIN", "1.20")
    url = reverse("backoffice:article_edit", args=[article.pk])
    assert manager.get(url).context["form"].initial["vat_rate"] == "20"


def test_the_category_is_chosen_from_a_list_and_a_typo_creates_none(
    manager: Client, till: Till
) -> None:
    category_get_or_create(name="Boulangerie")
    page = manager.get(reverse("backoffice:article_create"))
    choices = dict(page.context["form"].fields["category"].choices)
    assert "Boulangerie" in choices
    assert choices["__new__"] == "Nouvelle catégorie…"

    typo = manager.post(
        reverse("backoffice:article_create"), form(category="Boulangeri", new_category="")
    )
    assert "category" in typo.context["form"].errors
    # A name typed without choosing « Nouvelle catégorie… » is not silently dropped either.
    unchosen = manager.post(
        reverse("backoffice:article_create"), form(category="", new_category="Boulangeri")
    )
    assert "new_category" in unchosen.context["form"].errors
    unnamed = manager.post(reverse("backoffice:article_create"), form(new_category=""))
    assert "new_category" in unnamed.context["form"].errors
    assert not Category.objects.filter(name="Boulangeri").exists()
    assert not Article.objects.filter(code="CAF250").exists()

    manager.post(
        reverse("backoffice:article_create"), form(category="Boulangerie", new_category="")
    )
    article = Article.objects.get(code="CAF250")
    assert article.category is not None
    assert article.category.name == "Boulangerie"
    assert Category.objects.count() == 1


def test_the_edit_form_changes_the_category_to_a_new_one(manager: Client, till: Till) -> None:
    article = make_article("PAIN", "1.20")
    url = reverse("backoffice:article_edit", args=[article.pk])
    initial = {k: str(v) for k, v in manager.get(url).context["form"].initial.items()}
    response = manager.post(url, {**initial, "category": "__new__", "new_category": "Pains"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.category is not None
    assert article.category.name == "Pains"


def test_a_barcode_is_removed_in_the_form_and_no_longer_rings_up_the_article(
    manager: Client, till: Till
) -> None:
    manager.post(reverse("backoffice:article_create"), form(barcodes="3560070123452 12345"))
    article = Article.objects.get(code="CAF250")
    url = reverse("backoffice:article_edit", args=[article.pk])
    page = manager.get(url)
    assert dict(page.context["form"].fields["remove_barcodes"].choices) == {
        "12345": "12345",
        "3560070123452": "3560070123452",
    }
    initial = {k: str(v) for k, v in page.context["form"].initial.items()}
    response = manager.post(url, {**initial, "remove_barcodes": ["12345"]})
    assert response.status_code == 302
    assert sorted(b.code for b in article.barcodes.filter(archived=False)) == ["3560070123452"]
    with pytest.raises(NotFoundError):
        article_get(code="12345")
    assert article_get(code="3560070123452").pk == article.pk
    # Free again: another article may take it, and it may come back to this one.
    other = make_article("THE", "2.00")
    article_update(pk=other.pk, add_barcodes=["12345"])
    assert article_get(code="12345").pk == other.pk
    assert 'value="12345"' not in manager.get(url).content.decode()


def test_a_removed_barcode_added_again_comes_back(manager: Client, till: Till) -> None:
    article = make_article("PAIN", "1.20")
    article_update(pk=article.pk, add_barcodes=["12345"])
    article_update(pk=article.pk, remove_barcodes=["12345"])
    article_update(pk=article.pk, add_barcodes=["12345"])
    assert [(b.code, b.archived) for b in article.barcodes.all()] == [("12345", False)]
    with pytest.raises(ValidationError):
        article_update(pk=article.pk, remove_barcodes=["99999"])
