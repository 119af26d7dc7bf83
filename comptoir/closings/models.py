"""Fiscal closings: a post's day, month and (fiscal) year, totalled once it is over.

A :class:`Closing` is a fact of one till (a post): made on that post from its own
invoices and credit notes (never from the statistics tables, which may be rebuilt),
immutable, synced, made once per till, kind and period (the unique constraint), and
chained and signed in its post's ``close`` chain of the fiscal journal
(``closings.journal_setup``; the closings made before it are not chained).
Amounts are minor units of the store's currency. A period's documents are those whose
``business_date`` (their day in the installation's time zone) falls in it.

The perpetual totals run since the till's first document and carry over every closing:
``perpetual_total`` is the previous one plus sales minus returns, and
``perpetual_absolute_total`` the previous one plus sales plus returns (it never
decreases).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.journal.models import ChainedFact
from comptoir.lib.fields import MoneyField
from comptoir.stores.models import Store, Till
from comptoir.sync.synced import FactModel


class TotalField(MoneyField):
    """A sum of many documents' amounts: not held to the bounds of one fact's amount."""

    default_validators: list = []


class ClosingKind(models.TextChoices):
    DAY = "day", _("jour")
    MONTH = "month", _("mois")
    YEAR = "year", _("exercice")


class Closing(FactModel, ChainedFact):
    """The closing of one period of a till (see the module docstring).

    ``by_rate`` lists, per VAT rate (a decimal string), the sales and the returns
    (``{"rate", "sales": {"excl_vat", "vat", "incl_vat"}, "returns": {...}}``);
    ``payments`` what was received per method (cash net of the change given back) and
    ``refunds`` what the credit notes refunded per method. The document counts and the
    first and last numbers of each series are those of the period.
    """

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="closings")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("période"), max_length=5, choices=ClosingKind.choices)
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    closed_at = models.DateTimeField(_("clôturée le"))
    currency = models.CharField(_("devise"), max_length=3)
    invoice_count = models.PositiveIntegerField(_("factures"), default=0)
    invoice_first = models.CharField(_("première facture"), max_length=40, blank=True)
    invoice_last = models.CharField(_("dernière facture"), max_length=40, blank=True)
    credit_note_count = models.PositiveIntegerField(_("avoirs"), default=0)
    credit_note_first = models.CharField(_("premier avoir"), max_length=40, blank=True)
    credit_note_last = models.CharField(_("dernier avoir"), max_length=40, blank=True)
    sales_excl_vat = TotalField(_("ventes HT"), default=0)
    sales_vat = TotalField(_("TVA des ventes"), default=0)
    sales_incl_vat = TotalField(_("ventes TTC"), default=0)
    returns_excl_vat = TotalField(_("retours HT"), default=0)
    returns_vat = TotalField(_("TVA des retours"), default=0)
    returns_incl_vat = TotalField(_("retours TTC"), default=0)
    total_excl_vat = TotalField(_("total HT"), default=0)
    total_vat = TotalField(_("total TVA"), default=0)
    total_incl_vat = TotalField(_("total TTC"), default=0)
    by_rate = models.JSONField(_("par taux de TVA"), default=list, blank=True)
    payments = models.JSONField(_("par moyen de paiement"), default=dict, blank=True)
    refunds = models.JSONField(_("remboursements"), default=dict, blank=True)
    perpetual_total = TotalField(_("grand total perpétuel"), default=0)
    perpetual_absolute_total = TotalField(_("total perpétuel absolu"), default=0)

    class Meta:
        verbose_name = _("clôture")
        verbose_name_plural = _("clôtures")
        ordering = ["till", "-period_start", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["till", "kind", "period_start"], name="closing_once_per_period"
            ),
        ]
        indexes = [models.Index(fields=["till", "kind", "period_end"], name="closing_till_end")]

    def __str__(self) -> str:
        return f"{self.till_id} {self.kind} {self.period_start}"

    @property
    def key(self) -> str:
        """``day:2026-11-30``, ``month:2026-11``, ``year:2026-04`` (the first month): what
        ``comptoir closing show`` takes, with the till's prefix in front on a hub."""
        if self.kind == ClosingKind.DAY:
            return f"day:{self.period_start.isoformat()}"
        return f"{self.kind}:{self.period_start.strftime('%Y-%m')}"
