"""Training sales: what a till sells in training mode, kept apart from the real books.

A training sale is not an :class:`~comptoir.sales.models.Invoice`: it is a plain local
model (not synced, not a fact, not chained), so everything that reads invoices (stock
movements, statistics, closings, cash reports, the fiscal journal, the sync outbox)
leaves it out by construction, with no flag for any reader to remember. It keeps what
its receipt printed, as snapshots (no foreign key to an article or a customer): lines,
VAT per rate, payments and change, numbered in the till's own training series
``FORMATION-<prefix>-<n>``. Amounts are minor units.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.ids import new_id
from comptoir.sales.models import METHOD_CODE_LENGTH
from comptoir.stores.models import Store, Till

NUMBER_PREFIX = "FORMATION"


class TrainingSale(models.Model):
    """A sale made in training mode (« ticket sans valeur »). Local to its till."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    number = models.CharField(_("numéro"), max_length=40, unique=True)
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveIntegerField()
    validated_at = models.DateTimeField(_("validée le"), db_index=True)
    customer_name = models.CharField(_("nom du client"), max_length=200, blank=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    currency = models.CharField(_("devise"), max_length=3)
    total_excl_tax = MoneyField(_("total HT"))
    total_tax = MoneyField(_("TVA"))
    total_incl_tax = MoneyField(_("total TTC"))
    total_paid = MoneyField(_("payé"))
    change_given = MoneyField(_("rendu"), default=0)
    discount = models.CharField(_("remise sur le panier"), max_length=20, blank=True, default="")
    discount_amount = MoneyField(_("montant de la remise"), default=0)

    class Meta:
        verbose_name = _("vente de formation")
        verbose_name_plural = _("ventes de formation")
        ordering = ["-validated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["till", "sequence"], name="trainingsale_unique_series_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class TrainingSaleLine(models.Model):
    """A line of a training sale, as printed."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    sale = models.ForeignKey(TrainingSale, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    article_code = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    quantity = QuantityField()
    unit = models.CharField(max_length=8, default="piece")
    unit_price = MoneyField()
    discount_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    discount_amount = MoneyField(default=0)
    basket_discount = MoneyField(default=0)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    total_excl_tax = MoneyField()
    total_tax = MoneyField()
    total_incl_tax = MoneyField()

    class Meta:
        verbose_name = _("ligne de vente de formation")
        verbose_name_plural = _("lignes de vente de formation")
        ordering = ["sale", "position"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "position"], name="trainingline_unique_pos"),
        ]

    def __str__(self) -> str:
        return f"{self.position}: {self.article_code} × {self.quantity}"


class TrainingSaleTax(models.Model):
    """The VAT breakdown a training sale printed, per rate."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    sale = models.ForeignKey(TrainingSale, on_delete=models.CASCADE, related_name="taxes")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    base_excl_tax = MoneyField()
    tax = MoneyField()
    total_incl_tax = MoneyField()

    class Meta:
        verbose_name = _("TVA de vente de formation")
        verbose_name_plural = _("TVA des ventes de formation")
        ordering = ["sale", "vat_rate"]
        constraints = [
            models.UniqueConstraint(fields=["sale", "vat_rate"], name="trainingtax_unique_rate"),
        ]

    def __str__(self) -> str:
        return f"{self.vat_rate} %: {self.total_incl_tax}"


class TrainingPayment(models.Model):
    """A payment tendered for a training sale (no money changed hands for real)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    sale = models.ForeignKey(TrainingSale, on_delete=models.CASCADE, related_name="payments")
    position = models.PositiveIntegerField()
    method = models.CharField(_("moyen"), max_length=METHOD_CODE_LENGTH)
    amount = MoneyField(_("montant"))

    class Meta:
        verbose_name = _("paiement de vente de formation")
        verbose_name_plural = _("paiements de vente de formation")
        ordering = ["sale", "position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.method} {self.amount}"
