"""The shop's structure: stores, their tills, and each till's numbering series."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.lib.fields import MoneyField
from comptoir.sync.synced import ReferenceModel


class Store(ReferenceModel):
    """A store, and its legal identity as receipts and invoices print it.

    ``name`` is the trade name (the sign); ``legal_name`` the company's (raison sociale).
    The identity fields are checked by ``lib.identity`` (SIRET, VAT number...), through
    ``stores.services.store_update``.
    """

    name = models.CharField(_("nom"), max_length=120, unique=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    legal_name = models.CharField(_("raison sociale"), max_length=200, blank=True)
    legal_form = models.CharField(_("forme juridique"), max_length=60, blank=True)
    address = models.TextField(_("adresse"), blank=True)
    postcode = models.CharField(_("code postal"), max_length=12, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    siret = models.CharField(_("SIRET"), max_length=20, blank=True)
    registration_number = models.CharField(_("n° d'immatriculation"), max_length=40, blank=True)
    vat_number = models.CharField(_("n° de TVA"), max_length=20, blank=True)
    rcs = models.CharField(_("RCS"), max_length=120, blank=True)
    share_capital = MoneyField(_("capital social"), null=True, blank=True)
    receipt_header = models.CharField(_("en-tête des tickets"), max_length=500, blank=True)
    receipt_footer = models.CharField(_("pied des tickets"), max_length=500, blank=True)
    fiscal_year_start = models.PositiveSmallIntegerField(
        _("premier mois de l'exercice"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
    )
    payment_terms = models.CharField(_("conditions de paiement"), max_length=300, blank=True)
    late_penalty_rate = models.DecimalField(
        _("taux des pénalités de retard (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )

    class Meta:
        verbose_name = _("magasin")
        verbose_name_plural = _("magasins")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Till(ReferenceModel):
    """A point of sale. ``prefix`` starts its invoice numbers (``C1-2026-000123``)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="tills")
    name = models.CharField(_("nom"), max_length=120)
    prefix = models.CharField(_("préfixe"), max_length=12, unique=True)
    node_id = models.CharField(
        _("poste"),
        max_length=36,
        blank=True,
        help_text=_("Identifiant du poste qui tient cette caisse et sa série de numéros."),
    )
    # The post's Ed25519 public key (base64 of its 32 bytes) and its short id: set on the
    # hub, from the enrollment request (or by the hub for its own web till), and synced
    # to the tills; the hub checks each fiscal record's signature with it on arrival.
    public_key = models.CharField(_("clé publique"), max_length=64, blank=True)
    key_id = models.CharField(_("identifiant de clé"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("caisse")
        verbose_name_plural = _("caisses")
        ordering = ["store__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="till_unique_name_per_store"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class SeriesCounter(models.Model):
    """The last number used in a till's series for a document kind and a year.

    Local to the till that owns the series (never synced): only that till numbers its
    documents. The row is locked (``select_for_update``) while a number is assigned, in
    the same transaction as the document, so numbers are continuous and never reused.
    """

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("compteur de série")
        verbose_name_plural = _("compteurs de série")
        constraints = [
            models.UniqueConstraint(fields=["till", "kind", "year"], name="series_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.till_id} {self.kind} {self.year}: {self.last_number}"
