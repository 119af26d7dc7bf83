"""Derived sales statistics (the seed's ``StatistiqueVente``) and revenue (``ChiffreAffaire``).

Never synced: each side updates them in the same transaction as the invoice or credit
note they come from, and ``stats_rebuild`` recomputes them from the facts to the same
figures. Amounts are minor units; credit notes count negative in :class:`SalesStat` and
apart (``returns_*``) in :class:`DailyRevenue`.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.models import Article
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.money import round_half_up
from comptoir.stores.models import Store, Till


class SalesStat(models.Model):
    day = models.DateField(_("jour"))
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    till = models.ForeignKey(Till, on_delete=models.CASCADE, related_name="+")
    cashier = models.CharField(_("caissier"), max_length=150)
    quantity = QuantityField(_("quantité"), default=Decimal(0))
    revenue_excl_tax = MoneyField(_("CA HT"), default=0)
    revenue_incl_tax = MoneyField(_("CA TTC"), default=0)
    cost = MoneyField(_("coût"), default=0)

    class Meta:
        verbose_name = _("statistique de vente")
        verbose_name_plural = _("statistiques de vente")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "article", "store", "till", "cashier"], name="salesstat_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.article_id}"

    @property
    def margin(self) -> int:
        return self.revenue_excl_tax - self.cost


class DailyRevenue(models.Model):
    """Per day and till (the dashboard's till filter reads it); per store summed."""

    day = models.DateField(_("jour"))
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    till = models.ForeignKey(Till, on_delete=models.CASCADE, related_name="+")
    invoice_count = models.PositiveIntegerField(default=0)
    total_excl_tax = MoneyField(default=0)
    total_tax = MoneyField(default=0)
    total_incl_tax = MoneyField(default=0)
    total_cost = MoneyField(default=0)
    credit_note_count = models.PositiveIntegerField(default=0)
    returns_excl_tax = MoneyField(default=0)
    returns_incl_tax = MoneyField(default=0)
    returns_cost = MoneyField(default=0)

    class Meta:
        verbose_name = _("chiffre d'affaires")
        verbose_name_plural = _("chiffres d'affaires")
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "till"], name="dailyrevenue_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.store_id}"

    @property
    def average_basket(self) -> int:
        """Revenue incl. VAT per invoice, rounded half up like every amount."""
        if not self.invoice_count:
            return 0
        return round_half_up(Decimal(self.total_incl_tax) / self.invoice_count)


class DailyTax(models.Model):
    """Revenue per VAT rate: sales and returns apart, as the VAT return needs them."""

    day = models.DateField()
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    base_excl_tax = MoneyField(default=0)
    tax = MoneyField(default=0)
    returns_base_excl_tax = MoneyField(default=0)
    returns_tax = MoneyField(default=0)

    class Meta:
        verbose_name = _("TVA du jour")
        verbose_name_plural = _("TVA par jour")
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "vat_rate"], name="dailytax_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.vat_rate}"


class DailyPayment(models.Model):
    """Money received per till and payment method (net of change given; refunds apart)."""

    day = models.DateField()
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+")
    till = models.ForeignKey(Till, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(max_length=10)
    amount = MoneyField(default=0)
    refunds = MoneyField(default=0)

    class Meta:
        verbose_name = _("encaissement du jour")
        verbose_name_plural = _("encaissements par jour")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "store", "till", "method"], name="dailypayment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.method}"
