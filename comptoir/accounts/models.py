"""Which store an account of this post works for.

Accounts are local to each post and never synced, and so is this. On the hub an account
belongs to one store, or (``store`` empty) to every store: a chain manager. On a till
every account works for the till's store whatever is written here (see
``comptoir.web.scope``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.stores.models import Store


class StaffScope(models.Model):
    """One row per account that has been given a scope; ``store`` null: every store."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="store_scope",
    )
    store = models.ForeignKey(
        Store,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("magasin"),
        help_text=_("Vide : tous les magasins (gérant de la chaîne)."),
    )

    class Meta:
        verbose_name = _("magasin d'un compte")
        verbose_name_plural = _("magasins des comptes")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.store_id or '*'}"
