"""Stock as a ledger of facts per (article, store), and its derived level.

The level is the last inventory count plus the movements that happened after it
(``occurred_at`` strictly later than ``counted_at``). :class:`StockLevel` caches it,
updated in the same transaction as each fact and rebuildable from the facts.

Sales sit above stock (a sale writes its movements): a movement names the document that
caused it by label (``"sales.Invoice"``), a relation in the database, not an import.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.models import Article, Supplier
from comptoir.lib.fields import QuantityField
from comptoir.stores.models import Store
from comptoir.sync.synced import FactModel


class MovementKind(models.TextChoices):
    SALE = "sale", _("vente")
    RETURN = "return", _("retour client")
    RECEIPT = "receipt", _("réception fournisseur")
    LOSS = "loss", _("perte / casse")
    TRANSFER = "transfer", _("transfert")


class StockMovement(FactModel):
    """A signed change of stock (the seed's ``MouvementStock``). Immutable."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="movements")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("type"), max_length=10, choices=MovementKind.choices)
    quantity = QuantityField(_("quantité"), help_text=_("Positive en entrée, négative en sortie."))
    occurred_at = models.DateTimeField(_("date"))
    invoice = models.ForeignKey(
        "sales.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    credit_note = models.ForeignKey(
        "sales.CreditNote",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="movements"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("mouvement de stock")
        verbose_name_plural = _("mouvements de stock")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["article", "store", "occurred_at"], name="movement_ledger_idx"),
        ]


class InventoryCount(FactModel):
    """An absolute quantity counted at an instant: later movements apply on top of it."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="counts")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="counts")
    quantity = QuantityField(_("quantité comptée"))
    counted_at = models.DateTimeField(_("compté le"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("inventaire")
        verbose_name_plural = _("inventaires")
        ordering = ["counted_at", "id"]
        indexes = [
            models.Index(fields=["article", "store", "counted_at"], name="count_ledger_idx"),
        ]


class StockLevel(models.Model):
    """Derived: the level of an article in a store. Never synced; see ``stock_rebuild``.

    ``count_at``/``count_id`` identify the count the level starts from (none: from zero).
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="stock_levels")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock_levels")
    quantity = QuantityField(default=Decimal(0))
    count_at = models.DateTimeField(null=True, blank=True)
    count_id = models.UUIDField(null=True, blank=True)

    class Meta:
        verbose_name = _("niveau de stock")
        verbose_name_plural = _("niveaux de stock")
        constraints = [
            models.UniqueConstraint(fields=["article", "store"], name="stocklevel_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}@{self.store_id}: {self.quantity}"
