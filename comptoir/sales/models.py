"""Sales: drafts (mutable, local), invoices and credit notes (immutable facts).

An invoice is born validated: the cashier's basket is an :class:`InvoiceDraft` until
``invoice_validate`` turns it, in one transaction, into an :class:`Invoice` with its
lines, VAT breakdown, payments, stock movements and statistics. From then on nothing in
it changes; a correction is a :class:`CreditNote`. Amounts are minor units.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from comptoir.catalogue.models import Article
from comptoir.customers.models import Customer
from comptoir.journal.models import ChainedFact
from comptoir.lib.fields import MoneyField, QuantityField
from comptoir.lib.ids import new_id, part_id
from comptoir.stores.models import Store, Till
from comptoir.sync.synced import FactModel, ReferenceModel


class PaymentKind(models.TextChoices):
    """What a payment method is: its rules follow (see ``calculations.MethodRule``)."""

    CASH = "cash", _("espèces")
    CARD = "card", _("carte")
    CHEQUE = "cheque", _("chèque")
    VOUCHER = "voucher", _("bon d'achat")
    MOBILE = "mobile", _("mobile money")
    ACCOUNT = "account", _("sur compte")


# A payment method's code: what a payment stores (a fact stays self-contained) and what
# ``comptoir sell --pay CODE:AMOUNT`` takes.
METHOD_CODE_LENGTH = 20
PAYMENT_REFERENCE_LENGTH = 60

# The methods every store has until its manager changes them (code, name, kind): the
# four of before payment methods were data (so « mobile » keeps its meaning), and the
# customer's account. Listed, not stored, until edited: their names are then read in the
# active language (:func:`default_method_names`). Stored with ids derived from (store,
# code) (``method_seed_id``), so that every post that stores one on its first edit makes
# the same row; a stored method keeps its stored name.
DEFAULT_PAYMENT_METHODS: tuple[tuple[str, str, str], ...] = (
    ("cash", gettext_noop("Espèces"), PaymentKind.CASH),
    ("card", gettext_noop("Carte bancaire"), PaymentKind.CARD),
    ("cheque", gettext_noop("Chèque"), PaymentKind.CHEQUE),
    ("mobile", gettext_noop("Paiement mobile"), PaymentKind.MOBILE),
    ("compte", gettext_noop("Sur compte"), PaymentKind.ACCOUNT),
)


def default_method_names() -> dict[str, str]:
    """The default methods' names by code, in the active language."""
    return {code: gettext(name) for code, name, _kind in DEFAULT_PAYMENT_METHODS}


def method_seed_id(store_id: uuid.UUID, code: str) -> uuid.UUID:
    return part_id(store_id, f"sales.paymentmethod/{code}", 0)


class PaymentMethod(ReferenceModel):
    """A way a store takes money (reference data, per store, edited on the hub).

    Payments store the method's ``code``, not a key to this row, so that an invoice reads
    the same whatever becomes of the method later.
    """

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=METHOD_CODE_LENGTH)
    name = models.CharField(_("nom"), max_length=60)
    kind = models.CharField(_("type"), max_length=10, choices=PaymentKind.choices)
    reference_required = models.BooleanField(_("référence obligatoire"), default=False)
    active = models.BooleanField(_("actif"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("moyen de paiement")
        verbose_name_plural = _("moyens de paiement")
        ordering = ["store", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["store", "code"], name="paymentmethod_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def gives_change(self) -> bool:
        return self.kind == PaymentKind.CASH


def payment_method_name(store_id: uuid.UUID, code: str) -> str:
    """The name of ``store_id``'s method ``code`` as shown on documents: the stored one,
    else the default's (in the active language), else the code itself (a method no longer
    there). One query: pages and reports that show many name them all at once
    (``sales.selectors.payment_method_names_by_store``, ``payments_named``)."""
    name = (
        PaymentMethod.objects.filter(store_id=store_id, code=code)
        .values_list("name", flat=True)
        .first()
    )
    return name if name is not None else default_method_names().get(code, code)


class InvoiceDraft(models.Model):
    """A basket being rung up at a till. Local and mutable; never synced."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The basket discount asked (``10%``, ``1.50``; ``calculations.basket_discount_parse``)
    # and the manager who granted it when it is above the threshold.
    discount = models.CharField(_("remise sur le panier"), max_length=20, blank=True)
    discount_approved_by = models.CharField(max_length=150, blank=True)
    # A basket put on hold (``parked_at`` set) while the till serves the next customer.
    parked_at = models.DateTimeField(_("mise en attente"), null=True, blank=True)
    label = models.CharField(_("libellé"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("vente en cours")
        verbose_name_plural = _("ventes en cours")

    def __str__(self) -> str:
        return str(self.id)


class InvoiceDraftLine(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    draft = models.ForeignKey(InvoiceDraft, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField()
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    unit_price = MoneyField()
    discount_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("ligne de panier")
        verbose_name_plural = _("lignes de panier")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.position}: {self.quantity}"


class Invoice(FactModel, ChainedFact):
    """A validated sales invoice (the seed's ``FactureVente``). Immutable."""

    number = models.CharField(_("numéro"), max_length=40, unique=True)
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="invoices")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="invoices")
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    validated_at = models.DateTimeField(_("validée le"), db_index=True)
    business_date = models.DateField(_("journée"), db_index=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="invoices"
    )
    customer_name = models.CharField(_("nom du client"), max_length=200, blank=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    currency = models.CharField(_("devise"), max_length=3)
    total_excl_tax = MoneyField(_("total HT"))
    total_tax = MoneyField(_("TVA"))
    total_incl_tax = MoneyField(_("total TTC"))
    total_paid = MoneyField(_("payé"))
    change_given = MoneyField(_("rendu"), default=0)
    total_cost = MoneyField(_("coût de revient"), default=0)
    # The basket discount as asked (``10%``, ``1.50``; empty: none), the amount it took off
    # (spread over the lines' ``basket_discount``), and the manager who granted it.
    discount = models.CharField(_("remise sur le panier"), max_length=20, blank=True, default="")
    discount_amount = MoneyField(_("montant de la remise"), default=0)
    discount_approved_by = models.CharField(max_length=150, blank=True, default="")
    # Declared as they were before the fiscal journal (its mixin's are nullable).
    previous_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-validated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["till", "year", "sequence"], name="invoice_unique_series_number"
            ),
        ]
        # A customer's invoices newest first, for the back office's customer filter.
        indexes = [
            models.Index(fields=["customer", "validated_at"], name="invoice_customer_date_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(FactModel):
    """A line of a validated invoice (the seed's ``LigneFactureVente``), as printed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="invoice_lines")
    article_code = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    quantity = QuantityField()
    unit = models.CharField(max_length=8, default="piece")
    unit_price = MoneyField(help_text=_("Prix unitaire TTC au moment de la vente."))
    discount_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    discount_amount = MoneyField(default=0)
    # This line's share of the invoice's basket discount (taken off ``total_incl_tax``).
    basket_discount = MoneyField(default=0)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    total_excl_tax = MoneyField()
    total_tax = MoneyField()
    total_incl_tax = MoneyField()
    unit_cost = MoneyField(default=0, help_text=_("Coût de revient HT au moment de la vente."))
    total_cost = MoneyField(default=0)

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoiceline_unique_pos"),
        ]


class InvoiceTax(FactModel):
    """The VAT breakdown an invoice printed: per rate, base excl. VAT + VAT = total incl. VAT."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="taxes")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    base_excl_tax = MoneyField()
    tax = MoneyField()
    total_incl_tax = MoneyField()

    class Meta:
        verbose_name = _("TVA de facture")
        verbose_name_plural = _("TVA des factures")
        constraints = [
            models.UniqueConstraint(fields=["invoice", "vat_rate"], name="invoicetax_unique_rate"),
        ]


class Payment(FactModel):
    """A payment tendered for an invoice. For cash, the change is on the invoice."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    position = models.PositiveIntegerField()
    method = models.CharField(_("moyen"), max_length=METHOD_CODE_LENGTH)
    amount = MoneyField(_("montant"))
    reference = models.CharField(
        _("référence"), max_length=PAYMENT_REFERENCE_LENGTH, blank=True, default=""
    )

    class Meta:
        verbose_name = _("paiement")
        verbose_name_plural = _("paiements")
        ordering = ["invoice", "position"]

    # The method's name, when a selector attached it (``sales.selectors.payments_named``).
    method_name: str | None = None

    def get_method_display(self) -> str:
        if self.method_name is not None:
            return self.method_name
        return payment_method_name(self.invoice.store_id, self.method)


class CreditNote(FactModel, ChainedFact):
    """A credit note (avoir) against an invoice: returned goods go back to stock."""

    number = models.CharField(_("numéro"), max_length=40, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="credit_notes")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="credit_notes")
    year = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField()
    issued_at = models.DateTimeField(_("émis le"), db_index=True)
    business_date = models.DateField(_("journée"), db_index=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    reason = models.CharField(_("motif"), max_length=200, blank=True)
    refund_method = models.CharField(
        _("remboursement"), max_length=METHOD_CODE_LENGTH, default=PaymentKind.CASH.value
    )
    currency = models.CharField(_("devise"), max_length=3)
    total_excl_tax = MoneyField(_("total HT"))
    total_tax = MoneyField(_("TVA"))
    total_incl_tax = MoneyField(_("total TTC"))
    total_cost = MoneyField(default=0)
    # Declared as they were before the fiscal journal (its mixin's are nullable).
    previous_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("avoir")
        verbose_name_plural = _("avoirs")
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["till", "year", "sequence"], name="creditnote_unique_series_number"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    # The refund method's name, when a selector attached it (``sales.selectors``).
    refund_method_name: str | None = None

    def get_refund_method_display(self) -> str:
        if self.refund_method_name is not None:
            return self.refund_method_name
        return payment_method_name(self.store_id, self.refund_method)


class CreditNoteLine(FactModel):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="credit_lines"
    )
    position = models.PositiveIntegerField()
    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="+")
    quantity = QuantityField()
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    total_excl_tax = MoneyField()
    total_tax = MoneyField()
    total_incl_tax = MoneyField()
    total_cost = MoneyField(default=0)

    class Meta:
        verbose_name = _("ligne d'avoir")
        verbose_name_plural = _("lignes d'avoir")
        ordering = ["credit_note", "position"]


class CreditNoteTax(FactModel):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="taxes")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    base_excl_tax = MoneyField()
    tax = MoneyField()
    total_incl_tax = MoneyField()

    class Meta:
        verbose_name = _("TVA d'avoir")
        verbose_name_plural = _("TVA des avoirs")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_note", "vat_rate"], name="creditnotetax_unique_rate"
            ),
        ]


# The code of the method of kind « account » that every store has (``payment_method_create``
# refuses a second one): the payments a customer's balance adds up.
ACCOUNT_METHOD = "compte"


class AccountSettlement(FactModel, ChainedFact):
    """Money a customer paid towards their account (« ardoise »): a fact, made on a post
    (a till or the hub's), chained in that post's fiscal journal (chain ``sett``): in
    cash, it goes into the drawer. The balance is derived (``customer_balance``)."""

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    customer_name = models.CharField(_("nom du client"), max_length=200)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    settled_at = models.DateTimeField(_("réglé le"), db_index=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    currency = models.CharField(_("devise"), max_length=3)
    amount = MoneyField(_("montant"))
    method = models.CharField(_("moyen"), max_length=METHOD_CODE_LENGTH)
    reference = models.CharField(
        _("référence"), max_length=PAYMENT_REFERENCE_LENGTH, blank=True, default=""
    )

    class Meta:
        verbose_name = _("règlement sur compte")
        verbose_name_plural = _("règlements sur compte")
        ordering = ["-settled_at"]
        indexes = [
            models.Index(fields=["customer", "settled_at"], name="settlement_customer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} {self.amount}"
