from decimal import Decimal

import pytest

from comptoir.catalogue.models import Article, Barcode, Category
from comptoir.catalogue.selectors import article_get, article_twins
from comptoir.catalogue.services import (
    article_create,
    article_update,
    parse_vat_rate,
    supplier_create,
)
from comptoir.lib.errors import ComptoirError, NotFoundError, ValidationError
from tests.factories import db_state, make_article, twin_from_another_till

pytestmark = pytest.mark.django_db

EAN13 = "3017620422003"
EAN8 = "96385074"


def test_an_article_is_created_with_its_barcodes_category_and_supplier():
    supplier_create(code="F1", name="Fournisseur 1")
    article = article_create(
        code="NUT",
        name="Pâte à tartiner",
        sale_price="3,49",
        vat_rate="5.5",
        cost="2.10",
        barcodes=[EAN13, EAN8, "MAISON-1"],
        category="Épicerie",
        supplier="F1",
        alert_threshold="5",
    )
    article.refresh_from_db()
    assert article.sale_price == 349
    assert article.cost == 210
    assert article.vat_rate == Decimal("5.50")
    assert article.category is not None
    assert article.category.name == "Épicerie"
    assert article.supplier is not None
    assert article.supplier.code == "F1"
    assert article.alert_threshold == Decimal(5)
    assert sorted(article.barcodes.values_list("code", flat=True)) == sorted(
        [EAN13, EAN8, "MAISON-1"]
    )
    assert article_get(code=EAN8) == article
    assert article_get(code="NUT") == article


def test_a_category_is_reused_whatever_its_case():
    make_article("A", category="Boissons")
    make_article("B", category="boissons")
    assert Category.objects.count() == 1


def test_an_article_update_changes_only_the_given_fields():
    supplier_create(code="F2", name="Autre fournisseur")
    make_article("A", "2.50", vat="20", cost="1.00")
    article = article_update(
        code="A", sale_price="2.60", add_barcodes=[EAN13], category="Frais", supplier="F2"
    )
    article.refresh_from_db()
    assert (article.sale_price, article.cost, article.vat_rate) == (260, 100, Decimal("20.00"))
    assert article.name == "Article A"
    assert article.category is not None
    assert article.category.name == "Frais"
    assert article.supplier is not None
    assert article.supplier.code == "F2"
    assert article_get(code=EAN13) == article
    article = article_update(code="A", category="", supplier="")
    article.refresh_from_db()
    assert article.category is None
    assert article.supplier is None


def test_an_article_is_archived_and_restored_never_deleted():
    make_article("A")
    article_update(code="A", archived=True)
    assert Article.objects.get(code="A").archived is True
    article_update(code="A", archived=False)
    assert Article.objects.get(code="A").archived is False


def test_updating_an_unknown_article_is_refused():
    with pytest.raises(NotFoundError, match="Article inconnu"):
        article_update(code="NOPE", name="x")


def test_a_scanned_unknown_code_is_refused():
    with pytest.raises(NotFoundError, match="Article inconnu"):
        article_get(code=EAN13)


@pytest.mark.parametrize(
    ("kwargs", "keyword"),
    [
        ({"code": "A"}, "déjà le code « A »"),
        ({"code": "B", "barcodes": [EAN13]}, "déjà celui de l'article A"),
        ({"code": "B", "barcodes": ["A"]}, "déjà le code d'un article"),
        ({"code": "B", "barcodes": ["3017620422004"]}, "clé de contrôle EAN"),
        ({"code": "B", "barcodes": ["12345670"[:-1] + "1"]}, "clé de contrôle EAN"),
        ({"code": "B", "barcodes": ["avec espace"]}, "Code-barres invalide"),
        ({"code": "B", "sale_price": "2.555"}, "au plus 2 décimale"),
        ({"code": "B", "sale_price": "-1"}, "négatif"),
        ({"code": "B", "sale_price": "deux euros"}, "Montant invalide"),
        ({"code": "B", "cost": "-0.01"}, "négatif"),
        ({"code": "B", "vat_rate": "abc"}, "Taux de TVA invalide"),
        ({"code": "B", "vat_rate": "-5"}, "Taux de TVA invalide"),
        ({"code": "B", "vat_rate": "100"}, "Taux de TVA invalide"),
        ({"code": "B", "vat_rate": "5.555"}, "Taux de TVA invalide"),
        # thousands separators are read as everywhere else, then refused for the range
        ({"code": "B", "vat_rate": "1 234,5"}, "entre 0 et 99,99"),
        ({"code": "B", "vat_rate": "1,234.5"}, "entre 0 et 99,99"),
        # malformed writings and exponents are refused as such
        ({"code": "B", "vat_rate": "1,23.5"}, "Taux de TVA invalide : « 1,23.5 »"),
        ({"code": "B", "vat_rate": "5.5.5"}, "Taux de TVA invalide : « 5.5.5 »"),
        ({"code": "B", "vat_rate": "1e1"}, "Taux de TVA invalide : « 1e1 »"),
        ({"code": "B", "vat_rate": "NaN"}, "Taux de TVA invalide : « NaN »"),
        ({"code": "B", "unit": "carton"}, "Unité inconnue"),
        ({"code": "B", "alert_threshold": "1.5"}, "entière"),
        ({"code": "B", "supplier": "INCONNU"}, "Fournisseur inconnu"),
        ({"code": "", "name": "x"}, "obligatoire"),
        ({"code": "B C"}, "sans espace"),
        ({"code": "B", "name": "  "}, "nom est obligatoire"),
    ],
)
def test_a_bad_article_is_refused_in_french_and_writes_nothing(kwargs, keyword):
    make_article("A", barcodes=[EAN13])
    before = db_state()
    values = {"code": "B", "name": "Article B", "sale_price": "1.00", **kwargs}
    with pytest.raises(ComptoirError, match=keyword):
        article_create(**values)
    assert db_state() == before


@pytest.mark.parametrize(
    ("typed", "rate"),
    [
        ("20", "20.00"),
        ("5,5", "5.50"),
        ("5.5", "5.50"),
        ("5,5 %", "5.50"),
        (" 5.50% ", "5.50"),
        ("\u202f5,5\u00a0%", "5.50"),
        ("99,99", "99.99"),
        ("0", "0.00"),
        (10, "10.00"),
        (Decimal("5.5"), "5.50"),
        (Decimal("2E+1"), "20.00"),  # a Decimal is taken as it is, not as its text
    ],
)
def test_a_vat_rate_is_read_in_any_usual_writing(typed, rate):
    article = article_create(code="B", name="Article B", sale_price="1.00", vat_rate=typed)
    assert article.vat_rate == Decimal(rate)
    assert parse_vat_rate(typed) == Decimal(rate)


def test_a_new_article_code_cannot_shadow_another_articles_barcode():
    """A scanner types the barcode: it must keep finding the article that owns it."""
    make_article("A", barcodes=[EAN13])
    before = db_state()
    with pytest.raises(ComptoirError, match=EAN13):
        make_article(EAN13)
    assert db_state() == before
    assert article_get(code=EAN13).code == "A"


@pytest.mark.parametrize(
    ("kwargs", "keyword"),
    [
        ({"add_barcodes": [EAN13]}, "déjà celui de l'article A"),
        ({"add_barcodes": ["A"]}, "déjà le code d'un article"),
        ({"add_barcodes": ["3017620422004"]}, "clé de contrôle EAN"),
        ({"sale_price": "2.555"}, "décimale"),
        ({"sale_price": "-2"}, "négatif"),
        ({"vat_rate": "20,001"}, "Taux de TVA invalide"),
        ({"vat_rate": "1,23.5"}, "Taux de TVA invalide"),
        ({"vat_rate": "2e1"}, "Taux de TVA invalide"),
        ({"unit": "boite"}, "Unité inconnue"),
        ({"supplier": "INCONNU"}, "Fournisseur inconnu"),
        ({"name": ""}, "nom est obligatoire"),
    ],
)
def test_a_bad_article_update_is_refused_and_changes_nothing(kwargs, keyword):
    make_article("A", barcodes=[EAN13])
    make_article("B", "1.00")
    before = db_state()
    fields_before = Article.objects.filter(code="B").values().get()
    with pytest.raises(ComptoirError, match=keyword):
        article_update(code="B", **{"name": "Nouveau nom", **kwargs})
    assert db_state() == before
    assert Article.objects.filter(code="B").values().get() == fields_before


def test_an_articles_own_code_is_not_stored_again_as_a_barcode():
    make_article("3017620422003", barcodes=["3017620422003"])
    assert Barcode.objects.count() == 0


# -- twins: the same code created on two tills while offline ---------------------------


def test_twins_from_two_offline_tills_are_both_kept_and_the_oldest_is_picked():
    article = make_article("JUS", barcodes=[EAN13])
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    twin_from_another_till(article.barcodes.get(), article_id=newer.pk)
    older = twin_from_another_till(article, older=True, name="Jus (caisse 0)")

    assert Article.objects.filter(code="JUS").count() == 3
    assert Barcode.objects.filter(code=EAN13).count() == 2
    assert article_get(code="JUS") == older
    assert article_get(code=EAN13) == article  # the oldest article holding the barcode
    assert article_update(code="JUS", cost="0.50") == older  # the CLI, by code


def test_an_archived_twin_gives_way_to_the_other():
    article = make_article("JUS", barcodes=[EAN13])
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    twin_from_another_till(article.barcodes.get(), article_id=newer.pk)

    article_update(pk=article.pk, archived=True)

    assert article_get(code="JUS") == newer
    assert article_get(code=EAN13) == newer


def test_editing_a_twin_by_its_id_edits_that_twin():
    article = make_article("JUS")
    newer = twin_from_another_till(article, name="Jus (caisse 2)")

    updated = article_update(pk=newer.pk, sale_price="2.90", add_barcodes=[EAN8])

    assert updated == newer
    newer.refresh_from_db()
    article.refresh_from_db()
    assert (newer.sale_price, article.sale_price) == (290, 250)
    assert list(newer.barcodes.values_list("code", flat=True)) == [EAN8]
    assert not article.barcodes.exists()


def test_one_post_still_refuses_a_twin():
    article = make_article("JUS", barcodes=[EAN13])
    twin_from_another_till(article, name="Jus (caisse 2)")
    with pytest.raises(ValidationError, match="déjà le code"):
        make_article("JUS")
    with pytest.raises(ValidationError, match="déjà celui de l'article"):
        make_article("JUS2", barcodes=[EAN13])


def test_twins_are_told_apart_until_one_is_archived():
    article = make_article("JUS")
    alone = make_article("EAU", barcodes=[EAN13])
    newer = twin_from_another_till(article, name="Jus (caisse 2)")
    by_barcode = make_article("SODA")
    twin_from_another_till(alone.barcodes.get(), article_id=by_barcode.pk)
    listed = list(Article.objects.all())

    assert article_twins(articles=listed) == {article.pk, newer.pk, alone.pk, by_barcode.pk}

    article_update(pk=newer.pk, archived=True)
    article_update(pk=by_barcode.pk, archived=True)
    assert article_twins(articles=Article.objects.all()) == set()
