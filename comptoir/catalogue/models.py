"""Catalogue reference data: categories, suppliers, articles and their barcodes."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fields import MoneyField, QuantityField
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
