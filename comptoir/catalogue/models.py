"""Catalogue reference data: categories, suppliers, articles and their barcodes, and the
stores' rules for reading the labels of their scales."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.labels import LabelFormat
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.stores.models import Store
from comptoir.sync.synced import ReferenceModel


class Category(ReferenceModel):
    """A shelf. Names are unique per post (the services refuse a twin), not in the
    database: two tills may create the same shelf while offline, and the hub must take
    both rather than refuse the second one and, with it, its articles and their sales."""

    name = models.CharField(_("nom"), max_length=120, db_index=True)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(ReferenceModel):
    """A supplier (the seed's ``Fournisseur``). Codes are unique per post, not in the
    database (see ``Category``); lookups by code pick the oldest twin."""

    code = models.CharField(_("code"), max_length=40, db_index=True)
    name = models.CharField(_("nom"), max_length=200)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("adresse"), blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    vat_number = models.CharField(_("n° de TVA"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("fournisseur")
        verbose_name_plural = _("fournisseurs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Article(ReferenceModel):
    """An article for sale. Its stock level is derived (see ``stock``), never stored here.

    Codes are unique per post (the services refuse a twin), not in the database: two
    tills may create the same code while offline, and the hub must take both rather than
    refuse the second one and every sale of it. Lookups by code pick the oldest active
    twin (``article_get``); the back office marks twins so that a manager archives one.
    """

    class Unit(models.TextChoices):
        PIECE = "piece", _("pièce")
        KG = "kg", _("kilogramme")
        LITRE = "l", _("litre")
        METRE = "m", _("mètre")

    code = models.CharField(_("code"), max_length=40, db_index=True)
    name = models.CharField(_("désignation"), max_length=200)
    category = models.ForeignKey(
        Category,
        verbose_name=_("catégorie"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    supplier = models.ForeignKey(
        Supplier,
        verbose_name=_("fournisseur"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="articles",
    )
    sale_price = MoneyField(_("prix de vente TTC"), help_text=_("En centimes (unité mineure)."))
    vat_rate = models.DecimalField(
        _("taux de TVA (%)"), max_digits=5, decimal_places=2, default=Decimal("20.00")
    )
    cost = MoneyField(
        _("prix de revient HT"), default=0, help_text=_("En centimes (unité mineure).")
    )
    unit = models.CharField(_("unité"), max_length=8, choices=Unit.choices, default=Unit.PIECE)
    alert_threshold = QuantityField(_("seuil d'alerte"), default=Decimal(0))

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["code"]
        indexes = [models.Index(fields=["name"], name="article_name_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Barcode(ReferenceModel):
    """One of an article's barcodes (EAN-13, EAN-8, UPC or an in-house code). Unique per
    post, not in the database, like ``Article.code``."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="barcodes")
    code = models.CharField(_("code-barres"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("code-barres")
        verbose_name_plural = _("codes-barres")

    def __str__(self) -> str:
        return self.code


class LabelRule(ReferenceModel):
    """How a store's label scales print their EAN-13 labels (``catalogue.labels``): a
    prefix of the in-store range (20 to 29), where the article code sits, and whether the
    value is a weight in grams or a price in minor units. Positions are 1-based.

    Reference data of one store, made on the hub or on one of the store's tills and synced
    to every post (each reads its own store's rules); archiving a rule retires it."""

    class Value(models.TextChoices):
        WEIGHT = "weight", _("poids en grammes")
        PRICE = "price", _("prix en unité mineure")

    store = models.ForeignKey(
        Store, verbose_name=_("magasin"), on_delete=models.PROTECT, related_name="+"
    )
    prefix = models.CharField(_("préfixe"), max_length=3)
    name = models.CharField(
        _("nom"), max_length=80, blank=True, help_text=_("Les balances qui l'impriment.")
    )
    code_start = models.PositiveSmallIntegerField(
        _("début du code article"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    code_digits = models.PositiveSmallIntegerField(
        _("chiffres du code article"), validators=[MinValueValidator(1), MaxValueValidator(11)]
    )
    value_start = models.PositiveSmallIntegerField(
        _("début de la valeur"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    value_digits = models.PositiveSmallIntegerField(
        _("chiffres de la valeur"), validators=[MinValueValidator(1), MaxValueValidator(11)]
    )
    value = models.CharField(_("valeur"), max_length=8, choices=Value.choices)

    class Meta:
        verbose_name = _("règle d'étiquette")
        verbose_name_plural = _("règles d'étiquettes")
        ordering = ["prefix"]

    def __str__(self) -> str:
        return self.prefix

    def layout(self) -> LabelFormat:
        return LabelFormat(
            prefix=self.prefix,
            code_start=self.code_start,
            code_digits=self.code_digits,
            value_start=self.value_start,
            value_digits=self.value_digits,
            kind=self.value,
        )
