"""Cash sessions: an opening, cash movements and a closing, all facts of one till.

A session is its opening (:class:`CashSession`); it is open while it has no
:class:`CashSessionClosing`. Its documents are exactly the till's invoices and credit
notes numbered after the opening's last numbers (and up to the closing's): a clock set
back or forward moves nothing in or out of a session.

At most one session of a till is open, and the database holds it: a till's first
session has no ``previous_closing`` (one such row per till), every later one follows the
closing of the one before (each closing is followed once). The sessions of a till are
then one line, and only its last can be open. Amounts are minor units; a float, a count
or a movement below zero is refused by every post (field validators, checked on the
wire too).
"""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.journal.models import ChainedFact
from comptoir.lib.fields import MoneyField
from comptoir.stores.models import Store, Till
from comptoir.sync.synced import FactModel


class DocumentBounds(models.Model):
    """The last invoice and credit-note numbers of a till's series at an instant.

    A number is ``(year, sequence)``; ``(0, 0)`` before the series' first document.
    """

    invoice_year = models.PositiveIntegerField(default=0)
    invoice_sequence = models.PositiveIntegerField(default=0)
    credit_note_year = models.PositiveIntegerField(default=0)
    credit_note_sequence = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CashSession(FactModel, ChainedFact, DocumentBounds):
    """The opening of a cash session: the float counted into the drawer."""

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="cash_sessions")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("numéro"))
    opened_at = models.DateTimeField(_("ouverte le"), db_index=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    currency = models.CharField(_("devise"), max_length=3)
    float_amount = MoneyField(_("fond de caisse"), validators=[MinValueValidator(0)])
    float_counts = models.JSONField(_("comptage du fond"), default=dict, blank=True)
    previous_closing = models.OneToOneField(
        "cash.CashSessionClosing",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_session",
    )

    class Meta:
        verbose_name = _("session de caisse")
        verbose_name_plural = _("sessions de caisse")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["till", "number"], name="cashsession_unique_number"),
            models.UniqueConstraint(
                fields=["till"],
                condition=Q(previous_closing__isnull=True),
                name="cashsession_one_first_per_till",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.till_id} #{self.number}"


class CashMovementKind(models.TextChoices):
    IN = "in", _("entrée")
    OUT = "out", _("sortie")


class CashMovement(FactModel, ChainedFact):
    """Cash put into or taken out of the drawer during a session, with its reason."""

    session = models.ForeignKey(CashSession, on_delete=models.PROTECT, related_name="movements")
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("numéro"))
    kind = models.CharField(_("sens"), max_length=3, choices=CashMovementKind.choices)
    amount = MoneyField(_("montant"), validators=[MinValueValidator(1)])
    reason = models.CharField(_("motif"), max_length=200)
    occurred_at = models.DateTimeField(_("le"))
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("mouvement d'espèces")
        verbose_name_plural = _("mouvements d'espèces")
        ordering = ["till", "number"]
        constraints = [
            models.UniqueConstraint(fields=["till", "number"], name="cashmovement_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class CashSessionClosing(FactModel, ChainedFact, DocumentBounds):
    """The closing of a session: the blind count, what was expected, and the Z report.

    ``report`` is the Z as computed at the close (minor units), kept as printed.
    """

    session = models.OneToOneField(CashSession, on_delete=models.PROTECT, related_name="closing")
    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(_("fermée le"), db_index=True)
    cashier = models.CharField(_("caissier"), max_length=150, blank=True)
    counted_amount = MoneyField(_("compté"), validators=[MinValueValidator(0)])
    counted_counts = models.JSONField(_("comptage"), default=dict, blank=True)
    expected_amount = MoneyField(_("attendu"))
    difference = MoneyField(_("écart"))
    report = models.JSONField(_("rapport Z"), default=dict)

    class Meta:
        verbose_name = _("clôture de session")
        verbose_name_plural = _("clôtures de session")
        ordering = ["-closed_at"]

    def __str__(self) -> str:
        return f"{self.session_id}"
