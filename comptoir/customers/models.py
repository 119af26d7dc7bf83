"""Customers (the seed's ``Client``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fields import MoneyField
from comptoir.sync.synced import ReferenceModel


class Customer(ReferenceModel):
    """A customer. Codes are unique per post, not in the database (see ``Article``): two
    tills may give the same code to two customers while offline; lookups by code pick the
    oldest active twin."""

    code = models.CharField(_("code"), max_length=40, db_index=True)
    name = models.CharField(_("nom"), max_length=200)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("adresse"), blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    vat_number = models.CharField(_("n° de TVA"), max_length=20, blank=True)
    # What the customer may owe on account (« ardoise »), in minor units of the business
    # currency; 0: no sale on account without a manager.
    credit_limit = MoneyField(_("plafond de crédit"), default=0)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name"]
        indexes = [models.Index(fields=["name"], name="customer_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_business(self) -> bool:
        return bool(self.siren or self.vat_number)
