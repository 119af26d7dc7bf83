"""The technical event log (JET) of a post: one fact per event, numbered per till.

An event is what happened on a post that the fiscal rules want traced (a start, a
login, a closing, a reprint, a change of VAT rate...): immutable, synced to the hub like
every fact, and chained and signed in its post's ``event`` chain of the fiscal journal
(its hashed values: ``events.journal_setup``; the events recorded before it are not
chained).

``details`` is a small JSON object kept as canonical text (sorted keys, no spaces), so
that it is bounded and checked on every post like any other text field.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.journal.models import ChainedFact
from comptoir.stores.models import Store, Till
from comptoir.sync.synced import FactModel

DETAILS_MAX = 1000  # characters of an event's details, as canonical JSON


class EventKind(models.TextChoices):
    POST_START = "post_start", _("démarrage du poste")
    POST_STOP = "post_stop", _("arrêt du poste")
    LOGIN_OK = "login_ok", _("connexion réussie")
    LOGIN_FAILED = "login_failed", _("connexion refusée")
    SESSION_OPEN = "session_open", _("ouverture de session de caisse")
    SESSION_CLOSE = "session_close", _("fermeture de session de caisse")
    CLOSING_MADE = "closing_made", _("clôture faite")
    JOURNAL_VERIFIED = "journal_verified", _("journal vérifié")
    ARCHIVE_MADE = "archive_made", _("archive faite")
    REPRINT = "reprint", _("réimpression (duplicata)")
    TRAINING_ON = "training_on", _("mode formation activé")
    TRAINING_OFF = "training_off", _("mode formation désactivé")
    VAT_RATE_CHANGE = "vat_rate_change", _("changement de taux de TVA")
    STORE_IDENTITY_CHANGE = "store_identity_change", _("changement de l'identité du magasin")
    VERSION_CHANGE = "version_change", _("changement de version du logiciel")
    CLOCK_JUMP = "clock_jump", _("saut d'horloge détecté")
    IMPORT = "import", _("import de données")
    ENROLLMENT = "enrollment", _("enrôlement d'un poste")
    REVOCATION = "revocation", _("révocation d'un poste")
    INTEGRITY_ALERT = "integrity_alert", _("alerte d'intégrité")
    DRAWER_OPENED = "drawer_opened", _("ouverture du tiroir-caisse (hors vente)")


class TechnicalEvent(FactModel, ChainedFact):
    """One event of a post's technical log."""

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="+")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("numéro"))
    kind = models.CharField(_("événement"), max_length=32, choices=EventKind.choices)
    occurred_at = models.DateTimeField(_("le"), db_index=True)
    user = models.CharField(_("utilisateur"), max_length=150, blank=True)
    details = models.CharField(_("détails"), max_length=DETAILS_MAX, blank=True)

    class Meta:
        verbose_name = _("événement technique")
        verbose_name_plural = _("événements techniques")
        ordering = ["-occurred_at", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["till", "number"], name="technicalevent_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.till_id} #{self.number} {self.kind}"

    @property
    def details_data(self) -> dict[str, Any]:
        """The details as an object ({} when empty or not an object)."""
        try:
            data = json.loads(self.details) if self.details else {}
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
